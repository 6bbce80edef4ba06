"""The VK page of the console's Channels section: communities (list, add, change,
delete), "Test" (groups.getById: the community's name, or what went wrong) and "Send a
test message", with the callback address to enter at VK and the last error shown.

The token and secret key fields are write-only: never put back into the page; left
empty when a community is changed, the saved values stay. The views are the shared
ones of `console/connection_pages.py`; the API (`api/vk.py`) calls the same actions.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy

from opora.accounts.models import Language
from opora.console.connection_pages import (
    ConnectionKind,
    ConnectionPages,
    TeamChoices,
    team_field,
    test_text_field,
    write_only,
)
from opora.messengers.models import VK_API, VK_API_VERSION, VkCommunity
from opora.messengers.vk import actions
from opora.messengers.vk.selectors import access_community, visible_communities
from opora.pages import PageForm


class CommunityForm(TeamChoices):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=120)
    group_id = forms.CharField(
        label=gettext_lazy("Community id"),
        max_length=40,
        help_text=gettext_lazy("The digits in the community's address: club123456."),
    )
    token = write_only(
        gettext_lazy("Access token"),
        gettext_lazy(
            "Manage → API usage → Access tokens, with messages, photos, documents and "
            "wall allowed. Never shown again once saved."
        ),
        512,
    )
    confirmation = forms.CharField(
        label=gettext_lazy("Confirmation string"),
        max_length=64,
        required=False,
        help_text=gettext_lazy("Shown by VK in Manage → API usage → Callback API."),
    )
    secret_key = write_only(
        gettext_lazy("Secret key"),
        gettext_lazy("The same key as in the Callback API settings. Never shown again."),
        50,
    )
    api_base = forms.CharField(
        label=gettext_lazy("VK API server"),
        max_length=500,
        initial=VK_API,
        help_text=gettext_lazy("Change only when told to."),
    )
    api_version = forms.CharField(
        label=gettext_lazy("API version"), max_length=16, initial=VK_API_VERSION
    )
    team = team_field()
    language = forms.ChoiceField(
        label=gettext_lazy("Language"),
        choices=Language.choices,
        help_text=gettext_lazy("New customers' language (VK does not say theirs)."),
    )
    active = forms.BooleanField(label=gettext_lazy("Active"), required=False)


class TestMessageForm(PageForm):
    peer_id = forms.CharField(
        label=gettext_lazy("VK id"),
        max_length=40,
        help_text=gettext_lazy(
            "Your own VK id (the digits of vk.com/id…): write to the community first."
        ),
    )
    text = test_text_field()


def _initial(community: VkCommunity) -> dict[str, Any]:
    return {
        "name": community.name,
        "group_id": community.group_id,
        "confirmation": community.confirmation,
        "api_base": community.api_base,
        "api_version": community.api_version,
        "team": community.team_id or "",
        "language": community.language,
        "active": community.active,
    }


pages = ConnectionPages(
    ConnectionKind(
        page="vk",
        one="community",
        many="communities",
        form=CommunityForm,
        test_form=TestMessageForm,
        recipient="peer_id",
        access=access_community,
        visible=visible_communities,
        initial=_initial,
        defaults={
            "active": True,
            "api_base": VK_API,
            "api_version": VK_API_VERSION,
            "language": "ru",
        },
        create=actions.create_community,
        update=actions.update_community,
        delete=actions.delete_community,
        check=actions.check_community,
        send_test=actions.send_test_message,
        address=("callback_url", actions.callback_url),
        added=gettext_lazy("Community added. Test it, then enter the address at VK."),
        deleted=gettext_lazy("Community %(name)s deleted."),
    )
)
communities, new_community, edit_community = pages.list, pages.new, pages.edit
delete_community, test_community, send_test = pages.delete, pages.test, pages.send_test
