"""API tokens of SaaS providers, code hosts, package registries and AI providers.

Each has a documented, self-identifying prefix, so no context is needed.
"""

from __future__ import annotations

from affidavit.protect.detector import Detector, Kind, Pattern
from affidavit.protect.detectors._build import token
from affidavit.protect.finding import DataClass
from affidavit.protect.validators import is_placeholder, placeholder_token

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

_GITLAB_PREFIXES = "pat|dt|rt|ptt|ft|cbt|oas|soat|agent|imt|ffct|wt|rtr"
GITLAB = Detector(
    name="gitlab",
    kinds=(Kind("gitlab_token", _S, 80),),
    patterns=(
        # Personal, deploy, runner, pipeline-trigger, feed, CI-build, OAuth-app, SCIM,
        # agent, incoming-mail, feature-flag and workspace tokens.
        token(
            "gitlab_token",
            f"gl(?:{_GITLAB_PREFIXES})-[A-Za-z0-9_-]{{20}}"
            r"(?:[A-Za-z0-9_.-]{0,200}[A-Za-z0-9_-])?",
            edge=_TOKEN_EDGE,
            anchor=f"gl(?:{_GITLAB_PREFIXES})-[A-Za-z0-9_-]{{20}}",
        ),
        # Runner registration tokens carry the fixed prefix GR1348941.
        token(
            "gitlab_token",
            r"GR1348941[A-Za-z0-9_-]{20,64}",
            edge=_TOKEN_EDGE,
            anchor=r"GR1348941[A-Za-z0-9_-]{20}",
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
            r"https?://hooks\.slack(?:-gov)?\.com/(?:services|workflows|triggers)"
            r"/[A-Za-z0-9]+/[A-Za-z0-9]+/[A-Za-z0-9]+(?:/[A-Za-z0-9]+)*",
            edge="A-Za-z0-9/",
            anchor=r"https?://hooks\.slack(?:-gov)?\.com/",
        ),
    ),
)

STRIPE = Detector(
    name="stripe",
    kinds=(Kind("stripe_key", _S, 80),),
    patterns=(
        token(
            "stripe_key",
            r"(?:sk|rk)_(?:live|test|prod)_[0-9A-Za-z]{24,247}",
            edge="A-Za-z0-9_",
            anchor=r"(?:sk|rk)_(?:live|test|prod)_[0-9A-Za-z]{24}",
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
        # .npmrc: `//registry.npmjs.org/:_authToken=...` (legacy tokens are UUIDs),
        # `_auth=` (base64 of user:password) and `_password=` (base64), any registry; the
        # last two only at a line start or after `:`, where .npmrc puts them.
        Pattern(
            kind="npm_token",
            regex=(
                r"""(?:(?<![A-Za-z0-9])_authToken|(?:(?<=:)|(?<![^\r\n]))_(?:auth|password))"""
                r"""[ \t]{0,8}=[ \t]{0,8}["']?"""
                r"""(?P<value>[A-Za-z0-9+/=._-]{8,512})(?![A-Za-z0-9+/=._-])"""
            ),
            anchor=r"_(?:authToken|auth|password)[ \t]{0,8}=[ \t]{0,8}[\"']?[A-Za-z0-9+/=._-]",
            validator=lambda value: not is_placeholder(value) and not placeholder_token(value),
        ),
        # PyPI tokens are macaroons whose base64 always begins with the same bytes
        # (`AgEIcHlwaS5vcmc` for pypi.org, `AgENdGVzdC5weXBpLm9yZw` for test.pypi.org).
        token(
            "pypi_token",
            r"pypi-AgE[A-Za-z0-9_-]{60,1000}",
            edge=_TOKEN_EDGE,
            anchor=r"pypi-AgE[A-Za-z0-9_-]{12}",
        ),
    ),
)

AI_PROVIDERS = Detector(
    name="ai_providers",
    kinds=(
        Kind("openai_api_key", _S, 80),
        Kind("anthropic_api_key", _S, 80),
        Kind("huggingface_token", _S, 80),
        Kind("groq_api_key", _S, 80),
    ),
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
            validator=lambda value: not placeholder_token(value),
        ),
        # Project, service-account and admin keys are long enough to identify by prefix.
        token(
            "openai_api_key",
            r"sk-(?:proj|svcacct|admin)-[A-Za-z0-9_-]{40,300}",
            edge=_TOKEN_EDGE,
            anchor=r"sk-(?:proj|svcacct|admin)-[A-Za-z0-9_-]{40}",
        ),
        token(
            "anthropic_api_key",
            r"sk-ant-(?:api|admin)[0-9]{2}-[A-Za-z0-9_-]{32,200}",
            edge=_TOKEN_EDGE,
            anchor=r"sk-ant-(?:api|admin)[0-9]{2}-",
        ),
        # Hugging Face user access tokens: hf_ and 34 letters; Groq keys: gsk_ and 52.
        token("huggingface_token", r"hf_[A-Za-z]{34}", edge="A-Za-z0-9_"),
        token("groq_api_key", r"gsk_[A-Za-z0-9]{52}", edge="A-Za-z0-9_"),
    ),
)
