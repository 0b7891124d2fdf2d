from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from newsletter.models import Category
from subscribers import services
from subscribers.models import Subscriber


class CategoryChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Category) -> str:
        return f"{obj.emoji} {obj.local_name}"


def _category_field() -> CategoryChoiceField:
    return CategoryChoiceField(
        queryset=Category.objects.for_digest(),
        widget=forms.CheckboxSelectMultiple,
        label=_("Categories"),
        error_messages={"required": _("Choose at least one category.")},
    )


def _language_field() -> forms.ChoiceField:
    """The email language: one the site offers; anything else (a forged post) is
    refused with a message saying so."""
    return forms.ChoiceField(
        label=_("Email language"),
        choices=settings.LANGUAGES,
        error_messages={
            "required": _("Choose the language of your emails."),
            "invalid_choice": _(
                "We do not send the digest in that language: choose one from the list."
            ),
        },
    )


def _frequency_field() -> forms.TypedChoiceField:
    """Daily, weekly or both; anything else (a forged post) is refused. Not posted
    at all (a page cached before the choice existed): None, the caller's default."""
    return forms.TypedChoiceField(
        label=_("How often"),
        choices=Subscriber.Frequency.choices,
        initial=Subscriber.Frequency.DAILY,
        required=False,
        empty_value=None,
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": _("Choose daily, weekly or both.")},
    )


class SubscribeForm(forms.Form):
    # A CharField that keeps whitespace, so a newline anywhere is seen and refused
    # rather than silently stripped.
    email = forms.CharField(
        label=_("Email address"),
        max_length=254,
        strip=False,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "required": True}),
    )
    categories = _category_field()
    language = _language_field()
    frequency = _frequency_field()
    # Honeypot: hidden from people by CSS and aria-hidden; bots fill every field.
    website = forms.CharField(
        required=False,
        label=_("Leave this field empty"),
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["categories"].initial = list(self.fields["categories"].queryset)

    def clean_email(self) -> str:
        try:
            return services.normalize_signup_email(self.cleaned_data["email"])
        except services.ReservedDomainAddress:
            raise forms.ValidationError(
                _("We cannot send email to an address at this domain.")
            ) from None
        except services.IpLiteralAddress:
            raise forms.ValidationError(
                _("Use an address at a domain name, not at an IP address.")
            ) from None
        except ValueError:
            raise forms.ValidationError(_("Enter a valid email address.")) from None

    @property
    def is_bot(self) -> bool:
        return bool(self.cleaned_data.get("website"))


class PreferencesForm(forms.Form):
    categories = _category_field()
    language = _language_field()
    frequency = _frequency_field()


class DeleteForm(forms.Form):
    confirm = forms.BooleanField(
        label=_("Yes, erase my address and everything stored about it."),
        error_messages={"required": _("Tick the box to confirm.")},
    )
