from __future__ import annotations

from django.urls import include, path

from opora.portal import auth, ideas, sso, views
from opora.portal.auth import root_redirect

portal_patterns = (
    [
        path("", views.home, name="home"),
        path("new", views.new_request, name="new"),
        path("profile", views.profile, name="profile"),
        path("requests/<id:number>", views.request_page, name="request"),
        path("requests/<id:number>/reply", views.request_reply, name="reply"),
        path("requests/<id:number>/status", views.request_status, name="status"),
        path("requests/<id:number>/rate", views.request_rate, name="rate"),
        path("requests/<id:number>/bot", views.request_bot_answer, name="bot"),
    ],
    "portal",
)

# The public ideas board (anyone reads; signed-in customers vote and comment).
ideas_patterns = (
    [
        path("", ideas.idea_list, name="list"),
        path("<id:idea_id>", ideas.idea_page, name="idea"),
        path("<id:idea_id>/vote", ideas.idea_vote, name="vote"),
        path("<id:idea_id>/comments", ideas.idea_comment, name="comment"),
    ],
    "ideas",
)

urlpatterns = [
    path("portal/", include(portal_patterns)),
    path("ideas/", include(ideas_patterns)),
    path("signin", auth.signin, name="signin"),
    path("signup", auth.signup, name="signup"),
    path("signout", auth.signout, name="signout"),
    path("signin/verify", auth.signin_verify, name="signin-verify"),
    path("signin/verify/key-options", auth.signin_key_options, name="signin-key-options"),
    path("signin/verify/key", auth.signin_key, name="signin-key"),
    path("signin/oidc", sso.start, name="signin-oidc"),
    path("signin/oidc/callback", sso.callback, name="signin-oidc-callback"),
    path("signin/link", auth.signin_link_request, name="signin-link"),
    path("signin/link/<str:token>", auth.signin_link_use, name="signin-link-use"),
    path("language", auth.set_language, name="set-language"),
    path("attachments/<id:attachment_id>", views.attachment, name="attachment"),
]

__all__ = ["root_redirect", "urlpatterns"]
