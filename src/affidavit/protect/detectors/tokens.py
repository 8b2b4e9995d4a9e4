"""API tokens of SaaS providers, code hosts, package registries and AI providers.

Each has a documented, self-identifying prefix, so no context is needed.
"""

from __future__ import annotations

from affidavit.protect.detector import Detector, Kind, Pattern
from affidavit.protect.detectors._build import token
from affidavit.protect.finding import DataClass

__all__ = ["AI_PROVIDERS", "GITHUB", "GITLAB", "PACKAGE_REGISTRIES", "SENDGRID", "SLACK", "STRIPE"]

_S = DataClass.SECRET
_TOKEN_EDGE = "A-Za-z0-9_-"  # noqa: S105 - a character class, not a password

GITHUB = Detector(
    name="github",
    kinds=(Kind("github_token", _S, 80),),
    patterns=(
        # ghp_ personal, gho_ OAuth, ghu_ user-to-server, ghs_ server-to-server, ghr_ refresh.
        token(
            "github_token",
            r"gh[pousr]_[A-Za-z0-9]{36,251}",
            edge="A-Za-z0-9_",
            anchor=r"gh[pousr]_[A-Za-z0-9]{36}",
        ),
        token("github_token", r"github_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59}", edge="A-Za-z0-9_"),
    ),
)

GITLAB = Detector(
    name="gitlab",
    kinds=(Kind("gitlab_token", _S, 80),),
    patterns=(
        # Personal, deploy, runner, trigger, feed, CI-build, OAuth-app, SCIM and agent tokens.
        token(
            "gitlab_token",
            r"gl(?:pat|dt|rt|ptt|ft|cbt|oas|soat|agent)-[A-Za-z0-9_-]{20}"
            r"(?:[A-Za-z0-9_.-]{0,200}[A-Za-z0-9_-])?",
            edge=_TOKEN_EDGE,
            anchor=r"gl(?:pat|dt|rt|ptt|ft|cbt|oas|soat|agent)-[A-Za-z0-9_-]{20}",
        ),
    ),
)

SLACK = Detector(
    name="slack",
    kinds=(Kind("slack_webhook_url", _S, 88), Kind("slack_token", _S, 80)),
    patterns=(
        token(
            "slack_token",
            r"(?:xox[abposr]|xoxe\.xox[bp]|xoxe|xapp)-[0-9A-Za-z-]{8,250}[0-9A-Za-z]",
            edge="A-Za-z0-9-",
            anchor=r"(?:xox[abposre]|xapp)[.-]",
        ),
        token(
            "slack_webhook_url",
            r"https://hooks\.slack\.com/(?:services|workflows|triggers)"
            r"/[A-Za-z0-9]+/[A-Za-z0-9]+/[A-Za-z0-9]+(?:/[A-Za-z0-9]+)*",
            edge="A-Za-z0-9/",
            anchor=r"https://hooks\.slack\.com/",
        ),
    ),
)

STRIPE = Detector(
    name="stripe",
    kinds=(Kind("stripe_key", _S, 80),),
    patterns=(
        token(
            "stripe_key",
            r"(?:sk|rk)_(?:live|test)_[0-9A-Za-z]{24,247}",
            edge="A-Za-z0-9_",
            anchor=r"(?:sk|rk)_(?:live|test)_[0-9A-Za-z]{24}",
        ),
        token(
            "stripe_key",
            r"whsec_[0-9A-Za-z]{32,128}",
            edge="A-Za-z0-9_",
            anchor=r"whsec_[0-9A-Za-z]{32}",
        ),
    ),
)

SENDGRID = Detector(
    name="sendgrid",
    kinds=(Kind("sendgrid_api_key", _S, 80),),
    patterns=(
        token("sendgrid_api_key", r"SG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}", edge=_TOKEN_EDGE),
    ),
)

PACKAGE_REGISTRIES = Detector(
    name="package_registries",
    kinds=(Kind("npm_token", _S, 80), Kind("pypi_token", _S, 80)),
    patterns=(
        token("npm_token", r"npm_[A-Za-z0-9]{36}", edge="A-Za-z0-9_"),
        # PyPI tokens are macaroons whose base64 always begins with the same bytes.
        token(
            "pypi_token",
            r"pypi-AgEIcHlwaS5vcmc[A-Za-z0-9_-]{50,1000}",
            edge=_TOKEN_EDGE,
            anchor=r"pypi-AgEIcHlwaS5vcmc",
        ),
    ),
)

AI_PROVIDERS = Detector(
    name="ai_providers",
    kinds=(Kind("openai_api_key", _S, 80), Kind("anthropic_api_key", _S, 80)),
    patterns=(
        # OpenAI keys embed base64("OpenAI") = T3BlbkFJ between two random halves.
        Pattern(
            kind="openai_api_key",
            regex=(
                f"(?<![{_TOKEN_EDGE}])sk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{{20,200}}"
                f"T3BlbkFJ[A-Za-z0-9_-]{{20,200}}(?![{_TOKEN_EDGE}])"
            ),
            anchor="T3BlbkFJ",
            lookback=_TOKEN_EDGE,
        ),
        token(
            "anthropic_api_key",
            r"sk-ant-(?:api|admin)[0-9]{2}-[A-Za-z0-9_-]{32,200}",
            edge=_TOKEN_EDGE,
            anchor=r"sk-ant-(?:api|admin)[0-9]{2}-",
        ),
    ),
)
