"""Synthetic sensitive values, each in a realistic context, for tests, benchmarks and demos.

Every value is made up (random, with valid checksums where the kind has one) and comes
with the span a scanner must report. ``SAMPLERS[kind](rng)`` returns a :class:`Sample`;
``DECOYS`` are near misses that must yield no finding at all.
"""

from __future__ import annotations

import base64
import json
import random
import string
from collections.abc import Callable
from typing import NamedTuple
from urllib.parse import quote

from affidavit.protect.detectors.financial import IBAN_LENGTHS

__all__ = ["DECOYS", "SAMPLERS", "Sample", "iban", "luhn_complete", "password"]

_B62 = string.ascii_letters + string.digits
_B64 = _B62 + "+/"
_B64URL = _B62 + "-_"
_HEX = "0123456789abcdef"
_FIRST = ["alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy"]
_LAST = ["smith", "jones", "garcia", "chen", "patel", "kowalski", "muller", "okafor"]
_PUBLIC_DOMAINS = ["example.com", "contoso.com", "fabrikam.org", "mail.example.net"]
_INTERNAL_DOMAINS = ["corp.local", "ad.corp.example", "internal", "lan", "intranet"]


class Sample(NamedTuple):
    """``text`` holds the value at ``text[start:end]``; ``extras`` are (kind, start,
    end) of other sensitive values its context holds (the host of a URL, say)."""

    text: str
    start: int
    end: int
    kind: str
    extras: tuple[tuple[str, int, int], ...] = ()


def _chars(rng: random.Random, alphabet: str, size: int) -> str:
    return "".join(rng.choice(alphabet) for _ in range(size))


def _around(
    kind: str, before: str, value: str, after: str = "", extra: tuple[str, str] | None = None
) -> Sample:
    """``extra`` is (kind, text) of a second value found in ``after``."""
    end = len(before) + len(value)
    extras: tuple[tuple[str, int, int], ...] = ()
    if extra is not None:
        at = end + after.index(extra[1])
        extras = ((extra[0], at, at + len(extra[1])),)
    return Sample(before + value + after, len(before), end, kind, extras)


def password(rng: random.Random) -> str:
    """A password as people pick them: all four character classes, no shell specials."""
    body = [
        rng.choice(string.ascii_uppercase),
        rng.choice(string.ascii_lowercase),
        rng.choice(string.digits),
        rng.choice("!#^+=?~"),
    ] + [rng.choice(_B62 + "!#^+=?~") for _ in range(rng.randint(6, 12))]
    rng.shuffle(body)
    return rng.choice(string.ascii_letters) + "".join(body)


def luhn_complete(prefix: str, length: int, rng: random.Random) -> str:
    digits = prefix + _chars(rng, string.digits, length - len(prefix) - 1)
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char) * (2 if index % 2 == 0 else 1)
        total += value - 9 if value > 9 else value
    return digits + str((10 - total % 10) % 10)


def iban(rng: random.Random, country: str | None = None) -> str:
    country = country or rng.choice(sorted(IBAN_LENGTHS))
    bban = _chars(rng, string.digits, IBAN_LENGTHS[country] - 4)
    numeric = "".join(str(int(c, 36)) for c in bban + country + "00")
    return f"{country}{98 - int(numeric) % 97:02d}{bban}"


def _user(rng: random.Random) -> str:
    return f"{rng.choice(_FIRST)}.{rng.choice(_LAST)}{rng.randint(1, 99)}"


def _host(rng: random.Random) -> str:
    role, team = rng.choice(["ws", "srv", "dc", "db", "fs"]), rng.choice(["fin", "hr", "eng"])
    return f"{role}-{team}-{rng.randint(1, 999):03d}"


def _pem(rng: random.Random, label: str, newline: str) -> str:
    lines = [_chars(rng, _B64, 64) for _ in range(rng.randint(4, 12))]
    return newline.join([f"-----BEGIN {label}-----", *lines, f"-----END {label}-----"])


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _card(rng: random.Random) -> str:
    prefix, length = rng.choice([("4", 16), ("51", 16), ("55", 16), ("2221", 16), ("34", 15),
                                 ("37", 15), ("6011", 16), ("3566", 16), ("4", 13)])  # fmt: skip
    return luhn_complete(prefix, length, rng)


def _ssn_number(rng: random.Random) -> str:
    area = rng.choice([a for a in range(1, 900) if a != 666])
    return f"{area:03d}-{rng.randint(1, 99):02d}-{rng.randint(1, 9999):04d}"


def _nanp(rng: random.Random) -> str:
    def part() -> str:
        while True:
            code = f"{rng.randint(2, 9)}{rng.randint(0, 9)}{rng.randint(0, 9)}"
            if code[1:] != "11":
                return code

    area, exchange, line = part(), part(), f"{rng.randint(0, 9999):04d}"
    return rng.choice(
        [
            f"{area}-{exchange}-{line}",
            f"({area}) {exchange}-{line}",
            f"{area}.{exchange}.{line}",
            f"+1 {area}-{exchange}-{line}",
            f"+44 20 {rng.randint(7000, 7999)} {line}",
            f"+49 30 {exchange}{line}",
        ]
    )


def _ipv4(rng: random.Random) -> str:
    return rng.choice([
        f"10.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}",
        f"172.{rng.randint(16, 31)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}",
        f"192.168.{rng.randint(0, 255)}.{rng.randint(1, 254)}",
        f"100.{rng.randint(64, 127)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}",
    ])  # fmt: skip


def _ipv6(rng: random.Random) -> str:
    groups = [f"{rng.choice(['fc', 'fd'])}{_chars(rng, _HEX, 2)}"] + [
        f"{rng.randint(0, 0xFFFF):x}" for _ in range(7)
    ]
    if rng.random() < 0.5:
        return ":".join(groups)
    return ":".join(groups[:3]) + "::" + groups[7]


def _mac(rng: random.Random) -> str:
    octets = [f"{rng.randint(0, 255):02x}" for _ in range(6)]
    octets[0] = "0" + octets[0][1]  # a unicast, non-zero address
    octets[5] = f"{rng.randint(1, 254):02x}"
    return rng.choice([":", "-"]).join(octets)


_BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
_UPPER_DIGITS = string.ascii_uppercase + string.digits
_PEM_LABELS = [
    "RSA PRIVATE KEY", "EC PRIVATE KEY", "OPENSSH PRIVATE KEY", "PRIVATE KEY",
    "ENCRYPTED PRIVATE KEY", "PGP PRIVATE KEY BLOCK",
]  # fmt: skip


def _pick(rng: random.Random, *options: str) -> str:
    return rng.choice(options)


def _aws_key_id(r: random.Random) -> Sample:
    key = _pick(r, "AKIA", "ASIA", "AIDA", "AROA") + _chars(r, _BASE32, 16)
    before = _pick(r, '"accessKeyId": "', "aws_access_key_id=", "key ")
    return _around("aws_access_key_id", before, key, '"' if before.endswith('"') else "")


def _aws_secret(r: random.Random) -> Sample:
    before = _pick(r, "aws_secret_access_key = ", "AWS_SECRET_ACCESS_KEY=", '"secretAccessKey": "')
    return _around("aws_secret_access_key", before, _chars(r, _B64, 40))


def _gcp_service_account(r: random.Random) -> Sample:
    if r.random() < 0.5:
        return _around("gcp_service_account_key", '"private_key_id": "', _chars(r, _HEX, 40), '"')
    key = _pem(r, "PRIVATE KEY", "\\n") + "\\n"
    return _around("gcp_service_account_key", '"private_key": "', key, '"')


def _azure_connection_string(r: random.Random) -> Sample:
    if r.random() < 0.5:
        value = (
            f"DefaultEndpointsProtocol=https;AccountName=st{r.randint(1, 999)};"
            f"AccountKey={_chars(r, _B64, 86)}==;EndpointSuffix=core.windows.net"
        )
    else:
        value = (
            f"Endpoint=sb://ns{r.randint(1, 99)}.servicebus.windows.net/;"
            "SharedAccessKeyName=RootManageSharedAccessKey;"
            f"SharedAccessKey={_chars(r, _B64, 43)}="
        )
    return _around("azure_connection_string", "conn=", value)


def _azure_sas(r: random.Random) -> Sample:
    url = f"https://st{r.randint(1, 99)}.blob.core.windows.net/c/b.txt?sv=2022-11-02&sp=r&sig="
    signature = quote(base64.b64encode(r.randbytes(32)).decode(), safe="")
    return _around("azure_sas_token", url, signature, "&se=2030-01-01")


def _github(r: random.Random) -> Sample:
    if r.random() < 0.5:
        token = f"gh{r.choice('pousr')}_{_chars(r, _B62, 36)}"
    else:
        token = f"github_pat_{_chars(r, _B62, 22)}_{_chars(r, _B62, 59)}"
    return _around("github_token", "token ", token)


def _slack_token(r: random.Random) -> Sample:
    token = (
        f"xox{r.choice('bp')}-{r.randint(10**11, 10**12)}-{r.randint(10**12, 10**13)}"
        f"-{_chars(r, _B62, 24)}"
    )
    return _around("slack_token", "slack ", token)


def _slack_webhook(r: random.Random) -> Sample:
    url = (
        f"https://hooks.slack.com/services/T{_chars(r, _UPPER_DIGITS, 8)}"
        f"/B{_chars(r, _UPPER_DIGITS, 8)}/{_chars(r, _B62, 24)}"
    )
    return _around("slack_webhook_url", "webhook=", url)


def _private_key(r: random.Random) -> Sample:
    block = _pem(r, r.choice(_PEM_LABELS), _pick(r, "\n", "\\n"))
    return _around("private_key", "key:\n", block, "\n")


def _jwt(r: random.Random) -> Sample:
    header = _b64url(json.dumps({"alg": "RS256", "typ": "JWT"}).encode())
    claims = {"sub": _user(r), "iat": r.randint(10**9, 2 * 10**9)}
    token = f"{header}.{_b64url(json.dumps(claims).encode())}.{_chars(r, _B64URL, 43)}"
    return _around("jwt", "id_token=", token)


def _basic_auth(r: random.Random) -> Sample:
    credentials = base64.b64encode(f"{r.choice(_FIRST)}:{password(r)}".encode()).decode()
    return _around("basic_auth_header", "Authorization: Basic ", credentials)


def _email(r: random.Random) -> Sample:
    domain = r.choice(_PUBLIC_DOMAINS + _INTERNAL_DOMAINS[:2])
    return _around("email", "mail to ", f"{_user(r)}@{domain}")


def _ssn(r: random.Random) -> Sample:
    if r.random() < 0.5:
        return _around("us_ssn", "ssn ", _ssn_number(r))
    return _around("us_ssn", "SSN: ", _ssn_number(r).replace("-", ""))


def _hostname(r: random.Random) -> Sample:
    if r.random() < 0.5:
        return _around("hostname_internal", "host ", f"{_host(r)}.{r.choice(_INTERNAL_DOMAINS)}")
    return _around("hostname_internal", '"ComputerName": "', _host(r).upper(), '"')


def _username(r: random.Random) -> Sample:
    if r.random() < 0.5:
        return _around("username", "User: ", f"CORP\\{_user(r)}")
    return _around("username", '"TargetUserName": "', _user(r), '"')


def _fixed(
    kind: str, before: str, make: Callable[[random.Random], str], after: str = ""
) -> Callable[[random.Random], Sample]:
    return lambda r: _around(kind, before, make(r), after)


SAMPLERS: dict[str, Callable[[random.Random], Sample]] = {
    "aws_access_key_id": _aws_key_id,
    "aws_secret_access_key": _aws_secret,
    "gcp_service_account_key": _gcp_service_account,
    "gcp_api_key": _fixed("gcp_api_key", "key=", lambda r: "AIza" + _chars(r, _B64URL, 35)),
    "gcp_oauth_client_secret": _fixed(
        "gcp_oauth_client_secret",
        '"client_secret":"',
        lambda r: "GOCSPX-" + _chars(r, _B64URL, 28),
        '"',
    ),
    "azure_storage_account_key": lambda r: _around(
        "azure_storage_account_key",
        _pick(r, '"storageAccountKey": "', "azure_storage_key="),
        _chars(r, _B64, 86) + "==",
    ),
    "azure_connection_string": _azure_connection_string,
    "azure_sas_token": _azure_sas,
    "github_token": _github,
    "gitlab_token": _fixed(
        "gitlab_token", "PRIVATE-TOKEN: ", lambda r: "glpat-" + _chars(r, _B64URL, 20)
    ),
    "slack_token": _slack_token,
    "slack_webhook_url": _slack_webhook,
    "stripe_key": _fixed(
        "stripe_key", "stripe ", lambda r: f"{_pick(r, 'sk', 'rk')}_live_{_chars(r, _B62, 24)}"
    ),
    "sendgrid_api_key": _fixed(
        "sendgrid_api_key",
        "SENDGRID=",
        lambda r: f"SG.{_chars(r, _B64URL, 22)}.{_chars(r, _B64URL, 43)}",
    ),
    "npm_token": _fixed(
        "npm_token", "//registry.npmjs.org/:_authToken=", lambda r: "npm_" + _chars(r, _B62, 36)
    ),
    "pypi_token": _fixed(
        "pypi_token", "password = ", lambda r: "pypi-AgEIcHlwaS5vcmc" + _chars(r, _B64URL, 60)
    ),
    "openai_api_key": _fixed(
        "openai_api_key",
        "OPENAI_API_KEY=",
        lambda r: f"sk-proj-{_chars(r, _B62, 40)}T3BlbkFJ{_chars(r, _B62, 40)}",
    ),
    "anthropic_api_key": _fixed(
        "anthropic_api_key", "x-api-key: ", lambda r: f"sk-ant-api03-{_chars(r, _B64URL, 93)}AA"
    ),
    "private_key": _private_key,
    "jwt": _jwt,
    "credential_in_url": lambda r: _url_credentials(r),
    "password_in_command_line": lambda r: _command_line(r),
    "password_assignment": lambda r: _around(
        "password_assignment",
        _pick(r, "password=", '"password": "', "DB_PASSWORD: ", "<passwd>"),
        password(r),
    ),
    "generic_secret_assignment": lambda r: _around(
        "generic_secret_assignment",
        _pick(r, "api_key=", '"client_secret": "', "SECRET_TOKEN=", "x-auth-token: "),
        _chars(r, _B62, 32),
    ),
    "bearer_token": _fixed("bearer_token", "Authorization: Bearer ", lambda r: _chars(r, _B62, 40)),
    "basic_auth_header": _basic_auth,
    "email": _email,
    "phone": _fixed("phone", "call ", lambda r: _nanp(r)),
    "us_ssn": _ssn,
    "credit_card": lambda r: _card_sample(r),
    "iban": lambda r: _iban_sample(r),
    "ipv4_internal": _fixed("ipv4_internal", "src=", lambda r: _ipv4(r)),
    "ipv6_internal": _fixed("ipv6_internal", "src6=", lambda r: _ipv6(r)),
    "hostname_internal": _hostname,
    "username": _username,
    "upn": lambda r: _around(
        "upn", '"userPrincipalName": "', f"{_user(r)}@{r.choice(_PUBLIC_DOMAINS)}", '"'
    ),
    "mac_address": _fixed("mac_address", "mac ", lambda r: _mac(r)),
}


def _url_credentials(rng: random.Random) -> Sample:
    host = f"{_host(rng)}.corp.local"
    return _around(
        "credential_in_url",
        rng.choice(["https://", "postgresql://", "ftp://"]),
        f"{rng.choice(_FIRST)}:{quote(password(rng), safe='')}",
        f"@{host}/x",
        ("hostname_internal", host),
    )


def _command_line(rng: random.Random) -> Sample:
    secret = password(rng)
    if rng.random() < 0.2:
        user, address = _user(rng), _ipv4(rng)
        if rng.random() < 0.5:
            return _around("password_in_command_line", "sshpass -p ", secret,
                           f" ssh admin@{address}", ("ipv4_internal", address))  # fmt: skip
        before = f"mysqldump --user={user} --password="
        sample = _around("password_in_command_line", before, secret, " --all-databases")
        return sample._replace(
            extras=(("username", len("mysqldump --user="), before.index(" --password")),)
        )
    before, after = rng.choice([
        ("mysql -u root -p", " appdb"),
        ("pg_dump --password ", " -h db"),
        ("net user svc_backup ", " /add /domain"),
        ("psexec.exe \\\\srv01 -u admin -p ", " cmd.exe"),
        ("xfreerdp /u:admin /p:", " /v:srv01"),
        ('powershell -c "$p = ConvertTo-SecureString \'', "' -AsPlainText -Force\""),
        ("curl -u admin:", " https://api.example.com"),
    ])  # fmt: skip
    return _around("password_in_command_line", before, secret, after)


def _card_sample(rng: random.Random) -> Sample:
    number = _card(rng)
    if len(number) == 16 and rng.random() < 0.5:
        sep = rng.choice(" -")
        number = sep.join(number[i : i + 4] for i in range(0, 16, 4))
    return _around("credit_card", "card ", number)


def _iban_sample(rng: random.Random) -> Sample:
    value = iban(rng)
    if rng.random() < 0.5:
        value = " ".join(value[i : i + 4] for i in range(0, len(value), 4))
    return _around("iban", "IBAN ", value)


def _bad_luhn(rng: random.Random) -> str:
    good = luhn_complete("4", 16, rng)
    return good[:-1] + str((int(good[-1]) + rng.randint(1, 9)) % 10)


def _bad_iban(rng: random.Random) -> str:
    good = iban(rng)
    check, step = int(good[2:4]), rng.randint(1, 50)  # a change below 97 always breaks it
    return good[:2] + f"{check + step if check + step < 100 else check - step:02d}" + good[4:]


_PLACEHOLDERS = [
    "password=password", "password: changeme", "token=null", "password_policy=strict",
    "secret=${VAULT_SECRET}", "api_key=<your-api-key>", "password: ********",
]  # fmt: skip
_PUBLIC_IPS = ["8.8.8.8", "52.94.236.248", "172.32.0.1", "192.169.1.1", "11.0.0.1"]


def _hashes(r: random.Random) -> str:
    guid = "-".join(_chars(r, _HEX, n) for n in (8, 4, 4, 4, 12))
    return f"sha256={_chars(r, _HEX, 64)} guid={guid}"


def _timestamps(r: random.Random) -> str:
    when = f"2024-0{r.randint(1, 9)}-1{r.randint(0, 9)}T12:3{r.randint(0, 9)}:00Z"
    return f"ts={when} pid={r.randint(100, 65000)} port {r.randint(1, 65535)}"


DECOYS: list[Callable[[random.Random], str]] = [
    lambda r: f"order {_bad_luhn(r)} shipped",
    lambda r: f"ref AKIA{_chars(r, _BASE32, r.choice([12, 15, 17, 20]))} end",
    lambda r: f"id {r.choice(['000', '666', '901'])}-{r.randint(10, 99)}-{r.randint(1000, 9999)}",
    lambda r: f"acct {_bad_iban(r)}",
    lambda r: f"dst={r.choice(_PUBLIC_IPS)}",
    lambda r: f"host www.{r.choice(_PUBLIC_DOMAINS)} and api.local-cloud.com",
    lambda r: r.choice(_PLACEHOLDERS),
    _hashes,
    _timestamps,
    lambda r: (
        "key HKLM\\SOFTWARE\\Microsoft path C:\\Windows\\System32\\cmd.exe by NT AUTHORITY\\SYSTEM"
    ),
    lambda r: f"mysql -u root -p {r.choice(_LAST)}db",
]
