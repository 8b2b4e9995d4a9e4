"""Passwords typed on command lines: the value only, never the option that introduces it.

Covers `--password=X` / `--password X` (any tool), mysql-style `-pX`, tools whose `-p X`
takes a password (sshpass, psexec, crackmapexec, hydra ...), `sqlcmd -P X`, Windows
`/p:X` `/password:X` `/RP X`, `net user NAME PASS`, `net use ... PASS`, `curl -u user:PASS`
and PowerShell `ConvertTo-SecureString "X" -AsPlainText`.
"""

from __future__ import annotations

from affidavit.protect.detector import Detector, Kind, Pattern
from affidavit.protect.detectors._build import not_placeholder
from affidavit.protect.finding import DataClass

__all__ = ["COMMAND_LINE"]

_KIND = "password_in_command_line"
# A password value: the text between matching quotes, or an unquoted shell word that is
# not an option (does not start with '-' or '/') or a prompt ('*').
_VALUE = (
    r"""["']?(?P<value>(?<=")[^"\r\n]{1,256}(?=")|(?<=')[^'\r\n]{1,256}(?=')"""
    r"""|(?![*/-])(?:[^\s"'|;&<>\\]|\\(?!["'])){1,256})"""
)
# Arguments between a tool name and its password option, within the same command; as
# few as possible, so a later tool's `-p` on the same line is not taken for this one's.
_ARGS = r"(?:[ \t][^\r\n|;&]{0,1024}?)??[ \t]"


def _tool_anchor(names: str) -> str:
    return rf"""(?i:(?:{names})(?:\.exe|\.py)?)["']?"""


def _tool(names: str) -> str:
    return r"\b" + _tool_anchor(names)


_MYSQL = (
    r"mysql|mysqldump|mysqladmin|mysqlimport|mysqlshow|mysqlcheck|mysqlslap|mysqlpump"
    r"|mariadb(?:-dump|-admin)?"
)
_DASH_P = (
    r"sshpass|psexec(?:64)?|paexec|crackmapexec|cme|nxc|netexec|evil-winrm|smbmap|hydra|medusa"
)


_PASSWORD_OPTIONS = ("password", "passwd", "passphrase", "pwd", "pass", "passin", "passout")


def _pattern(regex: str, anchor: str | tuple[str, ...], lookback: str = "") -> Pattern:
    return Pattern(
        kind=_KIND, regex=regex, anchor=anchor, validator=not_placeholder, lookback=lookback
    )


COMMAND_LINE = Detector(
    name="command_line",
    kinds=(Kind(_KIND, DataClass.CREDENTIAL, 70),),
    patterns=(
        # --password=X, --db-password X, -pass X, openssl -passin pass:X
        _pattern(
            r"(?<![A-Za-z0-9_-])--?(?i:[A-Za-z0-9]+[-_])*(?i:password|passwd|passphrase|pwd|pass(?:in|out)?)"
            r"(?:=|[ \t]+)(?:pass:)?" + _VALUE,
            tuple(f"(?i:{k})[= \\t]" for k in _PASSWORD_OPTIONS),
            lookback="A-Za-z0-9_-",
        ),
        # mysql -pX: the password must be attached; `-p X` prompts and X is a database.
        _pattern(
            _tool(_MYSQL) + _ARGS + "-p" + _VALUE,
            r"(?i:mysql|mariadb)",
        ),
        _pattern(_tool(_DASH_P) + _ARGS + r"-p[ \t]*" + _VALUE, f"(?i:{_DASH_P})"),
        _pattern(
            _tool(r"sqlcmd|bcp|osql|isql") + _ARGS + r"-P[ \t]*" + _VALUE,
            r"(?i:sqlcmd|bcp|osql|isql)",
        ),
        # Windows: xfreerdp /p:X, cmdkey /pass:X, wmic /password:X, schtasks /RP X
        _pattern(
            r"[ \t]/(?:(?i:p|pass|password):|(?i:rp)[ \t]+)" + _VALUE,
            r"[ \t]/(?i:p|pass|password|rp)[: \t]",
        ),
        _pattern(
            _tool(r"net1?")
            + r"[ \t]{1,8}(?i:user)[ \t]{1,8}(?:\"[^\"\r\n]+\"|[^\s\"/]+)[ \t]+"
            + _VALUE,
            _tool_anchor("net1?") + r"[ \t]{1,8}(?i:user)[ \t]",
        ),
        _pattern(
            _tool(r"net1?")
            + r"[ \t]{1,8}(?i:use)[ \t]{1,8}(?:[^\r\n|;&]{0,512}?[ \t])?"
            + r"(?:\\\\[^\s\"]+|(?i:/user:)[^\s\"]+)[ \t]+"
            + _VALUE,
            _tool_anchor("net1?") + r"[ \t]{1,8}(?i:use)[ \t]",
        ),
        _pattern(
            _tool("curl") + _ARGS + r"(?:-u|--user)[ \t]*[\"']?[^\s:\"']{1,256}:"
            r"(?P<value>[^\s\"'|;&<>]{1,256})",
            r"(?i:curl)",
        ),
        _pattern(
            r"(?i:ConvertTo-SecureString)[ \t]{1,8}(?:(?i:-String)[ \t]{1,8})?(?P<q>[\"'])"
            r"(?P<value>[^\"'\r\n]{1,256})(?P=q)[ \t]+(?i:-AsPlainText)",
            r"(?i:ConvertTo-SecureString[ \t])",
        ),
    ),
)
