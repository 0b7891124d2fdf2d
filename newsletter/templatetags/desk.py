"""The editors' front page on the admin index: each part only for users who may view
the rows it counts, each figure a link to where it is dealt with."""

from django import template

from newsletter.desk import chart as desk_chart
from newsletter.desk import front_page as desk
from subscribers import outbox

register = template.Library()


@register.inclusion_tag("admin/desk.html", takes_context=True)
def editors_desk(context) -> dict:
    user = context["request"].user
    can = user.has_perm
    parts: dict = {"any": False}
    if can("newsletter.view_digest"):
        parts["editions"] = desk.editions_today()
        parts["stuck"] = desk.stuck_work()
        parts["show_deliveries"] = can("newsletter.view_delivery")
    if can("django_celery_beat.view_periodictask"):
        parts["next_run"] = desk.next_daily_run()
        parts["show_next_run"] = True
    if can("ingestion.view_article"):
        parts["review_queues"] = desk.review_queues()
        parts["show_review_queue"] = True
    if can("newsletter.view_digestsection") and can("newsletter.view_digest"):
        parts["flagged"] = desk.flagged_sections()
        parts["show_flagged"] = True
    if can("ingestion.view_source"):
        parts["sources"] = desk.troubled_sources()
        parts["show_sources"] = True
    if can("subscribers.view_subscriber"):
        parts["subscribers"] = desk.subscriber_counts()
        days = desk.joins_and_leaves()
        parts["chart"] = desk_chart.joins_and_leaves_svg(days)
        parts["joined"] = sum(j for _, j, _ in days)
        parts["left"] = sum(u for _, _, u in days)
        if can("subscribers.view_subscriberemail"):
            parts["outbox"] = outbox.state()
        if can("newsletter.view_delivery"):
            parts["bounces"] = desk.recent_bounces()
            parts["show_bounces"] = True
    parts["any"] = len(parts) > 1
    return parts
