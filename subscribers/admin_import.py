"""The subscriber list in and out of the admin: CSV upload, export action, imports.

`SubscriberCsvMixin` gives the Subscriber changelist its import steps (upload, then
the columns with the first rows shown, then a preview that changes nothing, then
apply exactly that preview), the "Export selected as CSV" action and the "invite"
action; `SubscriberImportAdmin` lists imports with their progress and shows each
one's preview or report, line by line.
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
from django.utils.functional import lazy
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from subscribers import (
    csv_format,
    exports,
    import_formats,
    import_report,
    import_runs,
    imports,
    invites,
    jobs,
)
from subscribers.models import Subscriber, SubscriberImport

logger = logging.getLogger(__name__)

MAX_UPLOAD_MB = 20
FIRST_ROWS = 5  # shown beside the column choices
REPORT_LINES = 1000  # shown on the import's page


def can_import(user) -> bool:
    return user.has_perms(
        ["subscribers.add_subscriber", "subscribers.change_subscriber"]
    )


def upload_limits() -> str:
    return gettext("UTF-8 or Korean CP949, comma or semicolon, up to %(mb)s MB.") % {
        "mb": MAX_UPLOAD_MB
    }


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"),
        help_text=lazy(upload_limits, str)(),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_MB * 1024 * 1024:
            raise forms.ValidationError(
                gettext("The file is larger than %(mb)s MB; split it in parts.")
                % {"mb": MAX_UPLOAD_MB}
            )
        return upload


# What each field a column can feed is called on the columns page.
FIELD_LABELS = {
    import_formats.EMAIL: _("email"),
    import_formats.NAME: _("name"),
    import_formats.FIRST_NAME: _("first name"),
    import_formats.LAST_NAME: _("last name"),
    import_formats.LANGUAGE: _("language"),
    import_formats.FREQUENCY: _("frequency"),
    import_formats.CATEGORIES: _("categories"),
    import_formats.CONSENTED: _("consented"),
    import_formats.STATUS: _("status"),
    import_formats.SUBSCRIBED: _("subscribed"),
    import_formats.DISABLED: _("email disabled"),
    import_formats.CONFIRMED_AT: _("confirmed at"),
    import_formats.UNSUBSCRIBED_AT: _("unsubscribed at"),
    import_formats.CLEANED_AT: _("cleaned at"),
}
FIELD_CHOICES = [
    (import_formats.IGNORE, _("— ignore —")),
    *((name, FIELD_LABELS[name]) for name in import_formats.FIELDS),
]


class ColumnsForm(forms.Form):
    """One choice per column of the file: which field it feeds."""

    def __init__(self, header: list[str], mapping: dict[str, str], *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.header = header
        for n, name in enumerate(header):
            self.fields[f"column_{n}"] = forms.ChoiceField(
                label=name or gettext("column %(n)s") % {"n": n + 1},
                choices=FIELD_CHOICES,
                initial=mapping.get(name, import_formats.IGNORE),
                required=False,  # a column left out is ignored
            )

    def mapping(self) -> dict[str, str]:
        return {
            name: self.cleaned_data[f"column_{n}"]
            for n, name in enumerate(self.header)
            if self.cleaned_data[f"column_{n}"] not in ("", import_formats.IGNORE)
        }


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
            id=job.id,
            status__in=[
                SubscriberImport.Status.PENDING,
                SubscriberImport.Status.PREVIEWING,
            ],
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
        wrap = self.admin_site.admin_view
        return [
            path("import/", wrap(self.import_csv_view), name=name),
            path(
                "import/<int:job_id>/columns/",
                wrap(self.import_columns_view),
                name=f"{name}_columns",
            ),
            path(
                "import/<int:job_id>/apply/",
                wrap(self.import_apply_view),
                name=f"{name}_apply",
            ),
            *super().get_urls(),
        ]

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
        if can_import(request.user):
            actions["invite_selected"] = self.get_action("invite_selected")
        return actions

    @admin.action(
        description=_("Invite the selected pending subscribers to confirm"),
        permissions=["change"],
    )
    def invite_selected(self, request, queryset):
        pending = list(
            queryset.filter(status=Subscriber.Status.PENDING).values_list(
                "id", flat=True
            )
        )
        queued = invites.invite(pending)
        self.message_user(
            request,
            gettext(
                "%(queued)s invitation(s) to confirm queued, sent in chunks; "
                "%(left)s selected subscriber(s) not invited (not pending, or "
                "invited too often lately)."
            )
            % {"queued": queued, "left": queryset.count() - queued},
        )

    @admin.action(description=_("Export selected as CSV"), permissions=["view"])
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
                job = import_runs.create_import(
                    upload.read(),
                    file_name=os.path.basename(upload.name),
                    user=request.user,
                )
            except imports.UnreadableFile as exc:
                form.add_error("file", str(exc))
            else:
                return redirect(
                    reverse(
                        "admin:subscribers_subscriber_import_columns", args=[job.id]
                    )
                )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": gettext("Import subscribers: 1. the file"),
            "form": form,
        }
        status = 400 if request.method == "POST" else 200
        return TemplateResponse(
            request, "admin/subscribers/subscriber/import.html", context, status=status
        )

    def _waiting_job(self, request, job_id: int, status: str) -> SubscriberImport:
        if not can_import(request.user):
            raise PermissionDenied
        job = SubscriberImport.objects.filter(id=job_id).first()
        if job is None or job.status != status:
            raise PermissionDenied  # a step of an import that is past it
        return job

    def import_columns_view(self, request, job_id: int):
        """Step 2: which column is what, with the first rows; submitting starts the
        preview (a dry run)."""
        job = self._waiting_job(request, job_id, SubscriberImport.Status.MAPPING)
        table = import_formats.read_table(bytes(job.data), limit=FIRST_ROWS)
        form = ColumnsForm(table.header, job.mapping, request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                import_runs.start_preview(job, form.mapping())
            except imports.UnreadableFile as exc:
                form.add_error(None, str(exc))
            else:
                _start(job)
                return redirect(
                    reverse("admin:subscribers_subscriberimport_change", args=[job.id])
                )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": gettext("Import subscribers: 2. the columns"),
            "job": job,
            "source": import_report.source_label(job.source_format),
            "form": form,
            "columns": [form[f"column_{n}"] for n in range(len(table.header))],
            "first_rows": [
                record + [""] * (len(table.header) - len(record))
                for _, record in table.records[:FIRST_ROWS]
            ],
        }
        status = 400 if request.method == "POST" else 200
        return TemplateResponse(
            request,
            "admin/subscribers/subscriber/import_columns.html",
            context,
            status=status,
        )

    def import_apply_view(self, request, job_id: int):
        """Step 4: apply exactly the preview shown (POST only)."""
        job = self._waiting_job(request, job_id, SubscriberImport.Status.PREVIEWED)
        if request.method != "POST":
            raise PermissionDenied
        if import_runs.approve(job.id):
            _start(job)
        return redirect(
            reverse("admin:subscribers_subscriberimport_change", args=[job.id])
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
        "source",
        "progress",
        "summary",
        "error",
        "report_lines",
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

    @admin.display(description=_("progress"))
    def progress(self, job: SubscriberImport) -> str:
        if job.status == SubscriberImport.Status.MAPPING:
            url = reverse("admin:subscribers_subscriber_import_columns", args=[job.id])
            return format_html(
                '<a href="{}">{}</a>', url, gettext("choose the columns")
            )
        if job.status == SubscriberImport.Status.PENDING:
            return gettext("waiting to start")
        share = job.processed_rows * 100 // job.total_rows if job.total_rows else 100
        figure = {
            "done": f"{job.processed_rows:,}",
            "total": f"{job.total_rows:,}",
            "share": share,
        }
        if job.status == SubscriberImport.Status.RUNNING and share == 100:
            return (
                gettext("%(done)s / %(total)s rows (%(share)s%%), writing the changes")
                % figure
            )
        if job.status in {job.Status.RUNNING, job.Status.PREVIEWING}:
            return gettext("%(done)s / %(total)s rows (%(share)s%%) checked") % figure
        return gettext("%(done)s / %(total)s rows (%(share)s%%)") % figure

    @admin.display(description=_("read as"))
    def source(self, job: SubscriberImport) -> str:
        return import_report.source_label(job.source_format)

    @staticmethod
    def _report(job: SubscriberImport) -> dict:
        """The applied report, or the preview while it awaits applying."""
        return job.report or (
            job.preview if job.status == SubscriberImport.Status.PREVIEWED else {}
        )

    @admin.display(description=_("result"))
    def summary(self, job: SubscriberImport) -> str:
        report = self._report(job)
        if not report:
            return job.error or "—"
        text = import_report.summary(report)
        if job.status == SubscriberImport.Status.PREVIEWED:
            return gettext("Preview, nothing changed yet: %(summary)s") % {
                "summary": text
            }
        if report.get("pending") and not report.get("invited"):
            url = reverse("admin:subscribers_subscriber_changelist")
            return format_html(
                '{} (<a href="{}?status__exact=pending">{}</a>: {})',
                text,
                url,
                gettext("pending subscribers"),
                gettext("select them, then “Invite”"),
            )
        return text

    @admin.display(description=_("line by line"))
    def report_lines(self, job: SubscriberImport) -> str:
        lines = self._report(job).get("lines", [])
        if not lines:
            return "—"
        rows = format_html_join(
            "",
            '<tr class="{}"><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>',
            ((e[2], e[0], e[1], e[2], e[3]) for e in lines[:REPORT_LINES]),
        )
        more = (
            gettext("… and %(n)s more lines") % {"n": f"{len(lines) - REPORT_LINES:,}"}
            if len(lines) > REPORT_LINES
            else ""
        )
        return format_html(
            '<table id="import-report"><thead><tr><th>{}</th><th>{}</th>'
            "<th>{}</th><th>{}</th></tr></thead><tbody>{}</tbody></table>{}",
            gettext("line"),
            gettext("email"),
            gettext("outcome"),
            gettext("detail"),
            rows,
            more,
        )

    def change_view(self, request, object_id, form_url="", extra_context=None):
        # The page reloads itself while the import runs, so the figure moves.
        job = self.get_object(request, object_id)
        running = job is not None and job.status in {
            SubscriberImport.Status.PREVIEWING,
            SubscriberImport.Status.PENDING,
            SubscriberImport.Status.RUNNING,
        }
        previewed = job is not None and job.status == SubscriberImport.Status.PREVIEWED
        extra_context = {
            **(extra_context or {}),
            "refresh_seconds": 2 if running else 0,
            "apply_url": reverse(
                "admin:subscribers_subscriber_import_apply", args=[job.id]
            )
            if previewed and can_import(request.user)
            else "",
        }
        return super().change_view(request, object_id, form_url, extra_context)
