"""The subscriber list in and out of the admin: CSV upload, export action, imports.

`SubscriberCsvMixin` gives the Subscriber changelist its "Import CSV" page and the
"Export selected as CSV" action; `SubscriberImportAdmin` lists imports with their
progress and shows each one's report.
"""

import logging
import os

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import StreamingHttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from subscribers import csv_format, exports, imports, jobs
from subscribers.models import SubscriberImport

logger = logging.getLogger(__name__)

MAX_UPLOAD_MB = 20


def can_import(user) -> bool:
    return user.has_perms(
        ["subscribers.add_subscriber", "subscribers.change_subscriber"]
    )


class ImportForm(forms.Form):
    file = forms.FileField(
        label="CSV file",
        help_text=f"UTF-8 or Korean CP949, comma or semicolon, up to {MAX_UPLOAD_MB} MB.",
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_MB * 1024 * 1024:
            raise forms.ValidationError(
                f"The file is larger than {MAX_UPLOAD_MB} MB; split it in parts."
            )
        return upload


class _Echo:
    """A write-only "file" that hands each CSV line back to the streaming response."""

    def write(self, value: str) -> str:
        return value


def _start(job: SubscriberImport) -> None:
    # A broker that is down must not turn the upload into an error page: the
    # import's own page says what happened.
    try:
        jobs.import_subscribers.delay_on_commit(job.id)
    except Exception:
        logger.exception("could not queue subscriber import %s", job.id)
        SubscriberImport.objects.filter(
            id=job.id, status=SubscriberImport.Status.PENDING
        ).update(
            status=SubscriberImport.Status.FAILED,
            error="The task queue could not be reached; nothing was imported. "
            "Upload the file again later.",
            data=b"",
        )


class SubscriberCsvMixin:
    """CSV import page and export action for the Subscriber admin."""

    def get_urls(self):
        name = f"{self.opts.app_label}_{self.opts.model_name}_import"
        view = self.admin_site.admin_view(self.import_csv_view)
        return [path("import/", view, name=name), *super().get_urls()]

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "can_import": can_import(request.user),
        }
        return super().changelist_view(request, extra_context)

    def get_actions(self, request):
        actions = super().get_actions(request)
        if self.has_view_permission(request):
            actions["export_selected_csv"] = self.get_action("export_selected_csv")
        return actions

    @admin.action(description="Export selected as CSV", permissions=["view"])
    def export_selected_csv(self, request, queryset):
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M")

        def lines():
            yield exports.BOM
            writer = _Echo()
            yield csv_format.write_line(writer, csv_format.EXPORT_COLUMNS)
            for row in exports.subscriber_rows(queryset):
                yield csv_format.write_line(writer, row)

        response = StreamingHttpResponse(
            lines(), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = (
            f'attachment; filename="subscribers-{stamp}.csv"'
        )
        return response

    def import_csv_view(self, request):
        if not can_import(request.user):
            raise PermissionDenied
        form = ImportForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                job = imports.create_import(
                    upload.read(),
                    file_name=os.path.basename(upload.name),
                    user=request.user,
                )
            except imports.UnreadableFile as exc:
                form.add_error("file", str(exc))
            else:
                _start(job)
                return redirect(
                    reverse("admin:subscribers_subscriberimport_change", args=[job.id])
                )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "Import subscribers from a CSV file",
            "form": form,
            "columns": csv_format.IMPORT_COLUMNS,
        }
        status = 400 if request.method == "POST" else 200
        return TemplateResponse(
            request, "admin/subscribers/subscriber/import.html", context, status=status
        )


@admin.register(SubscriberImport)
class SubscriberImportAdmin(admin.ModelAdmin):
    list_display = [
        "file_name",
        "status",
        "progress",
        "summary",
        "created_by",
        "created_at",
    ]
    list_filter = ["status"]
    fields = [
        "file_name",
        "status",
        "progress",
        "summary",
        "error",
        "skipped_rows",
        "created_by",
        "created_at",
        "started_at",
        "finished_at",
    ]
    readonly_fields = fields

    def has_add_permission(self, request) -> bool:
        return False  # imports start from the Subscriber list's "Import CSV" page

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_view_permission(self, request, obj=None) -> bool:
        return super().has_view_permission(request, obj) or can_import(request.user)

    def has_module_permission(self, request) -> bool:
        return super().has_module_permission(request) or can_import(request.user)

    @admin.display(description="progress")
    def progress(self, job: SubscriberImport) -> str:
        if job.status == SubscriberImport.Status.PENDING:
            return "waiting to start"
        share = job.processed_rows * 100 // job.total_rows if job.total_rows else 100
        figure = f"{job.processed_rows:,} / {job.total_rows:,} rows ({share}%)"
        if job.status == SubscriberImport.Status.RUNNING and share == 100:
            return figure + ", writing the changes"
        return figure + (" checked" if job.status == job.Status.RUNNING else "")

    @admin.display(description="result")
    def summary(self, job: SubscriberImport) -> str:
        report = job.report
        if not report:
            return job.error or "—"
        return (
            f"{report['created']:,} created, {report['updated']:,} updated, "
            f"{report['unchanged']:,} unchanged, {len(report['skipped']):,} skipped; "
            f"{report['confirmations_queued']:,} confirmation emails queued"
        )

    @admin.display(description="skipped rows")
    def skipped_rows(self, job: SubscriberImport) -> str:
        skipped = (job.report or {}).get("skipped", [])
        if not skipped:
            return "—"
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (s["line"], s["email"], s["reason"], s.get("detail", ""))
                for s in skipped[:1000]
            ),
        )
        more = f"… and {len(skipped) - 1000:,} more" if len(skipped) > 1000 else ""
        return format_html(
            "<table><thead><tr><th>line</th><th>email</th><th>reason</th>"
            "<th>detail</th></tr></thead><tbody>{}</tbody></table>{}",
            rows,
            more,
        )

    def change_view(self, request, object_id, form_url="", extra_context=None):
        # The page reloads itself while the import runs, so the figure moves.
        job = self.get_object(request, object_id)
        running = job is not None and not job.is_finished
        extra_context = {
            **(extra_context or {}),
            "refresh_seconds": 2 if running else 0,
        }
        return super().change_view(request, object_id, form_url, extra_context)
