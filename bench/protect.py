"""Benchmark for affidavit.protect: throughput and per-kind recall/precision on a
synthetic SOC corpus, and recall per family and precision on the real-format corpus
(tests/data/secrets), with Microsoft Presidio and Yelp detect-secrets as baselines.

    PYTHONPATH=src python bench/protect.py            # >= 50 MB corpus, table
    PYTHONPATH=src python bench/protect.py --quick    # small corpus, under a minute
    PYTHONPATH=src python bench/protect.py --json     # one JSON object of figures

The corpus is generated (seeded): EDR-style JSON alerts, CloudTrail-style events,
Sysmon-style process lines and proxy log lines, with planted values of every kind at
known offsets and near misses (Luhn failures, bad IBAN checksums, public addresses,
placeholder passwords, hashes, GUIDs) that must not be reported.

Everything runs pinned to one core and is timed in CPU seconds of this process. Our hyperscan engine scans the whole corpus; the
pure-`re` engine, Presidio and detect-secrets are slower by orders of magnitude, so they
scan a prefix of the same corpus and their MB/s is measured on that sample (the table
says how much). Presidio and detect-secrets are optional: install them from
bench/requirements-protect.txt into a separate virtualenv; they are reported as
"not installed" otherwise. Presidio runs its pattern recognizers with the `no_op` NLP
engine (no spaCy model); detect-secrets runs its default plugins line by line.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import string
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from affidavit.protect import ScanConfig, Scanner
from affidavit.protect.engines import hyperscan_available
from affidavit.samples.secrets import DECOYS, SAMPLERS, Sample

MB = 1_000_000
TARGET_MBPS = 50.0
TARGET_RECALL = 0.99
TARGET_PRECISION = 0.98
REPEATS = 3  # timed passes over the corpus with our engines; the best counts
REFERENCE = {"presidio": 0.1, "detect_secrets": "0.1-0.25", "hyperscan_with_spans": 37.0}

# ---------------------------------------------------------------------------- corpus


def _esc(text: str) -> str:
    return json.dumps(text)[1:-1]


_DESCRIPTIONS = [
    "A process ran a PowerShell command that downloads and runs content from the internet. "
    "Attackers use this technique to stage tooling after initial access; review the parent "
    "process, the network destination and any files written shortly afterwards.",
    "Credential dumping activity was observed: a process opened a handle to the LSASS process "
    "with read access. Legitimate security products do this too; confirm the binary's "
    "signature and publisher before remediating.",
    "An unusual service was installed and started remotely. Lateral movement frameworks "
    "create services with random names that run a command once and delete themselves.",
    "A scheduled task was created to run a script at logon from a user-writable folder. "
    "Persistence through scheduled tasks is common for commodity malware and red teams alike.",
]
_PATHS = [
    "C:\\Users\\Public\\Downloads\\update_helper.exe",
    "C:\\ProgramData\\Microsoft\\Windows\\Start Menu\\Programs\\Startup\\run.vbs",
    "C:\\Windows\\Temp\\svc_install_4411.ps1",
    "C:\\Program Files\\Contoso\\Agent\\agent.dll",
]
_BENIGN_COMMANDS = [
    '"C:\\Windows\\System32\\svchost.exe" -k netsvcs -p -s Schedule',
    "powershell.exe -NoProfile -ExecutionPolicy Bypass -File C:\\Windows\\Temp\\inventory.ps1",
    "rundll32.exe C:\\Windows\\System32\\shell32.dll,Control_RunDLL",
    '"C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe" --type=renderer --lang=en-US',
]
_PUBLIC_HOSTS = [
    "cdn.example.net",
    "download.contoso.com",
    "update.fabrikam.org",
    "api.example.org",
]


@dataclass
class _Line:
    """A line built from pieces, remembering where planted values land."""

    parts: list[str] = field(default_factory=list)
    plants: list[tuple[str, int, int]] = field(default_factory=list)
    size: int = 0

    def add(self, text: str) -> None:
        self.parts.append(text)
        self.size += len(text)

    def plant(self, sample: Sample, escape: bool) -> None:
        text, start, end = sample.text, sample.start, sample.end
        if escape:  # JSON-escape, mapping the value's span through the escaping
            start, end, text = len(_esc(text[:start])), len(_esc(text[:end])), _esc(text)
        self.plants.append((sample.kind, self.size + start, self.size + end))
        for kind, extra_start, extra_end in sample.extras:
            if escape:
                extra_start = len(_esc(sample.text[:extra_start]))
                extra_end = len(_esc(sample.text[:extra_end]))
            self.plants.append((kind, self.size + extra_start, self.size + extra_end))
        self.add(text)

    def value(self, rng: random.Random, kind: str, escape: bool) -> None:
        """Plant only the value (no context): for fields whose name is the context."""
        sample = SAMPLERS[kind](rng)
        value = sample.text[sample.start : sample.end]
        self.plant(Sample(value, 0, len(value), kind), escape)


class _Corpus:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.kinds = sorted(SAMPLERS)
        self._cycle: list[str] = []

    def next_kind(self) -> str:
        """Kinds in shuffled rounds, so every kind is planted about equally often."""
        if not self._cycle:
            self._cycle = list(self.kinds)
            self.rng.shuffle(self._cycle)
        return self._cycle.pop()

    def _hex(self, size: int) -> str:
        return "".join(self.rng.choice("0123456789abcdef") for _ in range(size))

    def _guid(self) -> str:
        h = self._hex(32)
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"

    def _ts(self) -> str:
        r = self.rng
        return f"2024-05-{r.randint(1, 28):02d}T{r.randint(0, 23):02d}:{r.randint(0, 59):02d}:{r.randint(0, 59):02d}.{r.randint(0, 999):03d}Z"

    def _public_ip(self) -> str:
        r = self.rng
        return f"{r.choice([52, 34, 13, 104, 185, 8, 23])}.{r.randint(0, 255)}.{r.randint(0, 255)}.{r.randint(1, 254)}"

    def _message(self, line: _Line, escape: bool) -> None:
        """Free text: usually one planted value of the next kind in turn, often a near miss."""
        r = self.rng
        line.add(r.choice(["Detected ", "Observed ", "Rule matched: ", "Analyst note: "]))
        if r.random() < 0.7:
            line.plant(SAMPLERS[self.next_kind()](r), escape)
        if r.random() < 0.5:
            decoy = DECOYS[r.randrange(len(DECOYS))](r)
            line.add(" ; " + (_esc(decoy) if escape else decoy))

    def _bulk(self) -> str:
        """The non-sensitive bulk real alerts carry (descriptions, file and process
        evidence, public URLs, hashes, GUIDs), as JSON members."""
        r = self.rng
        path = r.choice(_PATHS)
        bulk = {
            "description": r.choice(_DESCRIPTIONS),
            "evidence": [
                {"entityType": "File", "fileName": path.rsplit("\\", 1)[-1], "filePath": path,
                 "sha1": self._hex(40), "sha256": self._hex(64), "detectionStatus": "Detected"},
                {"entityType": "Process", "processId": r.randint(100, 65000),
                 "processCommandLine": r.choice(_BENIGN_COMMANDS),
                 "processCreationTime": self._ts(), "parentProcessId": r.randint(100, 65000)},
                {"entityType": "Url",
                 "url": f"https://{r.choice(_PUBLIC_HOSTS)}/{self._hex(8)}/index.html?ref={self._hex(12)}"},
            ],
            "detectionSource": r.choice(["WindowsDefenderAv", "CustomDetection", "Sensor"]),
            "alertWebUrl": f"https://security.example.com/alerts/da{self._hex(30)}?tid={self._guid()}",
        }  # fmt: skip
        return json.dumps(bulk)[1:-1] + ", "

    def edr_alert(self) -> _Line:
        r, line = self.rng, _Line()
        line.add(
            f'{{"timestamp": "{self._ts()}", "alert_id": "da{self._hex(30)}", "severity": "{r.choice(["low", "medium", "high"])}", '
        )
        line.add('"title": "Suspicious process behaviour", "device": {"hostname": "')
        line.value(r, "hostname_internal", True)
        line.add('", "local_ip": "')
        line.value(r, "ipv4_internal", True)
        if r.random() < 0.2:
            line.add('", "local_ip6": "')
            line.value(r, "ipv6_internal", True)
        if r.random() < 0.3:
            line.add('", "mac": "')
            line.value(r, "mac_address", True)
        line.add('", "os": "Windows 11 Enterprise 23H2"}, "user": "')
        line.value(r, "username", True)
        if r.random() < 0.3:
            line.add('", "userPrincipalName": "')
            line.value(r, "upn", True)
        line.add(
            f'", "process": {{"pid": {r.randint(100, 65000)}, "image": "C:\\\\Windows\\\\System32\\\\WindowsPowerShell\\\\v1.0\\\\powershell.exe", "command_line": "'
        )
        if r.random() < 0.3:
            line.plant(SAMPLERS["password_in_command_line"](r), True)
        else:
            line.add(_esc(r.choice(_BENIGN_COMMANDS)))
        line.add(f'", "sha256": "{self._hex(64)}", "md5": "{self._hex(32)}"}}, ')
        line.add(
            f'"network": {{"remote_ip": "{self._public_ip()}", "remote_port": {r.choice([443, 80, 8443, 22])}, "bytes_out": {r.randint(0, 10**7)}}}, '
        )
        line.add(self._bulk())
        line.add(f'"mitre": ["T1059.001", "T1003"], "tenant_id": "{self._guid()}", "message": "')
        self._message(line, True)
        line.add('"}')
        return line

    def cloudtrail(self) -> _Line:
        r, line = self.rng, _Line()
        create = r.random() < 0.3
        source = "iam" if create else r.choice(["s3", "ec2", "sts", "kms"])
        action = (
            "CreateAccessKey"
            if create
            else r.choice(["GetObject", "DescribeInstances", "AssumeRole", "Decrypt"])
        )
        line.add(
            f'{{"eventVersion": "1.08", "eventTime": "{self._ts()}", "eventSource": "{source}.amazonaws.com", "eventName": "{action}", "awsRegion": "{r.choice(["us-east-1", "eu-west-1"])}", "sourceIPAddress": "'
        )
        if r.random() < 0.4:
            line.value(r, "ipv4_internal", True)
        else:
            line.add(self._public_ip())
        line.add(
            '", "userAgent": "aws-cli/2.15.30 Python/3.11.8 Linux/6.1.0-18-amd64 exe/x86_64.debian.12 prompt/off command/s3.cp", "userIdentity": {"type": "IAMUser", '
        )
        line.add(
            f'"principalId": "AIDA{"".join(r.choice(string.ascii_uppercase + "234567") for _ in range(17))}", "arn": "arn:aws:iam::{r.randint(10**11, 10**12 - 1)}:user/svc", "accountId": "{r.randint(10**11, 10**12 - 1)}", "accessKeyId": "'
        )
        line.value(r, "aws_access_key_id", True)
        line.add('", "userName": "')
        line.value(r, "username", True)
        line.add(
            f'", "sessionContext": {{"attributes": {{"creationDate": "{self._ts()}", "mfaAuthenticated": "false"}}}}}}, '
        )
        line.add(
            f'"requestParameters": {{"bucketName": "logs-{self._hex(6)}", "key": "exports/{self._hex(16)}.json.gz", "Host": "logs.s3.amazonaws.com"}}, '
        )
        if create:
            line.add('"responseElements": {"accessKey": {"accessKeyId": "')
            line.value(r, "aws_access_key_id", True)
            line.add('", "secretAccessKey": "')
            line.value(r, "aws_secret_access_key", True)
            line.add('", "status": "Active"}}, ')
        else:
            line.add('"responseElements": null, ')
        line.add(
            f'"requestID": "{self._guid()}", "eventID": "{self._guid()}", "readOnly": {str(not create).lower()}, "eventType": "AwsApiCall", "managementEvent": true, "recipientAccountId": "{r.randint(10**11, 10**12 - 1)}", "eventCategory": "Management", '
        )
        line.add(
            '"tlsDetails": {"tlsVersion": "TLSv1.3", "cipherSuite": "TLS_AES_128_GCM_SHA256", "clientProvidedHostHeader": "iam.amazonaws.com"}, "additionalEventData": "'
        )
        self._message(line, True)
        line.add('"}')
        return line

    def sysmon(self) -> _Line:
        r, line = self.rng, _Line()
        line.add(
            f"Sysmon EventID=1 UtcTime={self._ts()} ProcessGuid={{{self._guid()}}} ProcessId={r.randint(100, 65000)} "
        )
        line.add(
            "Image=C:\\Windows\\System32\\cmd.exe FileVersion=10.0.22621.1 Description=Windows Command Processor Product=Microsoft Windows Operating System Company=Microsoft Corporation CommandLine="
        )
        if r.random() < 0.3:
            line.plant(SAMPLERS["password_in_command_line"](r), False)
        else:
            line.add(r.choice(_BENIGN_COMMANDS).replace("\\\\", "\\"))
        line.add(" CurrentDirectory=C:\\Windows\\system32\\ ")
        line.plant(SAMPLERS["username"](r), False)
        line.add(
            f" LogonGuid={{{self._guid()}}} LogonId=0x{self._hex(6)} TerminalSessionId=1 IntegrityLevel=High Hashes=MD5={self._hex(32).upper()},SHA256={self._hex(64).upper()},IMPHASH={self._hex(32).upper()} ParentProcessGuid={{{self._guid()}}} ParentProcessId={r.randint(100, 65000)} ParentImage=C:\\Windows\\explorer.exe ParentCommandLine=C:\\Windows\\Explorer.EXE Computer="
        )
        line.value(r, "hostname_internal", False)
        if r.random() < 0.5:
            line.add(" RuleName=")
            self._message(line, False)
        return line

    def logon(self) -> _Line:
        r, line = self.rng, _Line()
        line.add(
            f"EventCode=4624 TimeCreated={self._ts()} Keywords=Audit Success Message=An account was successfully logged on. SubjectUserSid=S-1-5-18 SubjectLogonId=0x3e7 LogonType={r.choice([2, 3, 10])} "
        )
        line.add("TargetUserName=")
        line.value(r, "username", False)
        line.add(
            f" TargetDomainName=CORP TargetLogonId=0x{self._hex(7)} LogonProcessName=NtLmSsp AuthenticationPackageName=NTLM WorkstationName="
        )
        line.value(r, "hostname_internal", False)
        line.add(
            f" LogonGuid={{{self._guid()}}} TransmittedServices=- LmPackageName=NTLM V2 KeyLength=128 ProcessId=0x0 ProcessName=- IpAddress="
        )
        line.value(r, "ipv4_internal", False)
        line.add(
            f" IpPort={r.randint(1024, 65535)} ImpersonationLevel=Impersonation ElevatedToken=No"
        )
        return line

    def proxy(self) -> _Line:
        r, line = self.rng, _Line()
        line.value(r, "ipv4_internal", False)
        line.add(
            f' - - [{r.randint(1, 28):02d}/May/2024:{r.randint(0, 23):02d}:{r.randint(0, 59):02d}:{r.randint(0, 59):02d} +0000] "GET '
        )
        if r.random() < 0.3:
            kind = r.choice(
                ["credential_in_url", "azure_sas_token", "slack_webhook_url", "gcp_api_key"]
            )
            line.plant(SAMPLERS[kind](r), False)
        else:
            line.add(
                f"https://{r.choice(_PUBLIC_HOSTS)}/static/{self._hex(10)}.js?v={r.randint(1, 999)}"
            )
        line.add(
            f' HTTP/1.1" {r.choice([200, 302, 403, 404])} {r.randint(100, 90000)} "https://{r.choice(_PUBLIC_HOSTS)}/" "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36"'
        )
        if r.random() < 0.2:
            line.add(" ")
            line.plant(SAMPLERS[r.choice(["bearer_token", "basic_auth_header", "jwt"])](r), False)
        return line

    def documents(
        self, total_chars: int, doc_chars: int
    ) -> Iterator[tuple[str, list[tuple[str, int, int]]]]:
        makers: list[Callable[[], _Line]] = [
            self.edr_alert,
            self.cloudtrail,
            self.sysmon,
            self.logon,
            self.proxy,
        ]
        produced = 0
        while produced < total_chars:
            parts: list[str] = []
            plants: list[tuple[str, int, int]] = []
            size = 0
            while size < doc_chars and produced + size < total_chars:
                line = self.rng.choice(makers)()
                plants.extend((k, size + s, size + e) for k, s, e in line.plants)
                parts.append("".join(line.parts) + "\n")
                size += line.size + 1
            produced += size
            yield "".join(parts), plants


# ------------------------------------------------------------------------- baselines


def _pin_one_core() -> str:
    if hasattr(os, "sched_setaffinity"):
        core = min(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {core})
        return f"pinned to core {core}"
    return "not pinned (no sched_setaffinity)"


def _sample(documents: list[str], chars: int) -> list[str]:
    """A prefix of the corpus, cut at line ends."""
    out, size = [], 0
    for doc in documents:
        for line in doc.splitlines(keepends=True):
            if size >= chars:
                return out
            out.append(line)
            size += len(line)
    return out


def _chunks(lines: list[str], chars: int) -> list[str]:
    chunks, current, size = [], [], 0
    for line in lines:
        current.append(line)
        size += len(line)
        if size >= chars:
            chunks.append("".join(current))
            current, size = [], 0
    if current:
        chunks.append("".join(current))
    return chunks


def _timed(run: Callable[[], object]) -> float:
    """CPU seconds of this process: on a shared machine, wall time would count the time
    other processes held the core."""
    start = time.process_time()
    run()
    return time.process_time() - start


def _presidio_analyzer() -> Any:
    """Presidio's AnalyzerEngine with its pattern recognizers, or None when not installed."""
    try:
        import tldextract
        from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
        from presidio_analyzer.nlp_engine import NlpEngineProvider
    except ImportError:
        return None
    # Presidio's e-mail recognizer asks tldextract, which would fetch the public suffix
    # list over the network; use the snapshot it ships instead.
    tldextract.extract = tldextract.TLDExtract(suffix_list_urls=())
    nlp = NlpEngineProvider(
        nlp_configuration={
            "nlp_engine_name": "no_op",
            "models": [{"lang_code": "en", "model_name": "no_op"}],
        }
    ).create_engine()
    registry = RecognizerRegistry(supported_languages=["en"])
    registry.load_predefined_recognizers(nlp_engine=nlp, languages=["en"])
    return AnalyzerEngine(nlp_engine=nlp, registry=registry, supported_languages=["en"])


def _presidio(lines: list[str]) -> dict[str, Any]:
    analyzer = _presidio_analyzer()
    if analyzer is None:
        return {"status": "not installed"}
    chunks = _chunks(lines, 16_000)
    analyzer.analyze(text=chunks[0][:2000], language="en")  # warm up
    found = 0

    def run() -> None:
        nonlocal found
        for chunk in chunks:
            found += len(analyzer.analyze(text=chunk, language="en"))

    seconds = _timed(run)
    size = sum(map(len, chunks))
    return {
        "status": "ok",
        "mb": size / MB,
        "seconds": seconds,
        "mb_per_s": size / MB / seconds,
        "findings": found,
    }


def _detect_secrets(lines: list[str]) -> dict[str, Any]:
    try:
        from detect_secrets.core.scan import scan_line
        from detect_secrets.settings import default_settings
    except ImportError:
        return {"status": "not installed"}
    found = 0

    def run() -> None:
        nonlocal found
        with default_settings():
            for line in lines:
                found += sum(1 for _ in scan_line(line.rstrip("\n")))

    seconds = _timed(run)
    size = sum(map(len, lines))
    return {
        "status": "ok",
        "mb": size / MB,
        "seconds": seconds,
        "mb_per_s": size / MB / seconds,
        "findings": found,
    }


# ------------------------------------------------------------ real-format corpus

CORPUS = Path(__file__).resolve().parents[1] / "tests" / "data" / "secrets"
TARGET_CORPUS_RECALL, TARGET_FAMILY_RECALL = 0.97, 0.90
Spans = Callable[[str], list[tuple[int, int]]]


def _load_corpus() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    def rows(name: str) -> list[dict[str, Any]]:
        return [json.loads(line) for line in (CORPUS / name).read_text().splitlines()]

    return rows("positives.jsonl"), rows("negatives.jsonl")


def _covers(spans: list[tuple[int, int]], start: int, end: int) -> bool:
    at = start
    for first, last in sorted(spans):
        if first <= at < last:
            at = last
    return at >= end


def _overlaps(spans: list[tuple[int, int]], start: int, end: int) -> bool:
    return any(first < end and start < last for first, last in spans)


def _detect_secrets_spans() -> Spans | None:
    try:
        from detect_secrets.core.scan import scan_line
        from detect_secrets.settings import default_settings
    except ImportError:
        return None

    def spans(text: str) -> list[tuple[int, int]]:
        found, offset = [], 0
        with default_settings():
            for line in text.splitlines(keepends=True):
                for secret in scan_line(line.rstrip("\n")):
                    value = secret.secret_value or ""
                    at = line.find(value) if value else -1
                    # Without a locatable value the whole line counts as flagged.
                    found.append((offset + at, offset + at + len(value)) if at >= 0
                                 else (offset, offset + len(line)))  # fmt: skip
                offset += len(line)
        return found

    return spans


def _corpus_scores(name: str, spans: Spans, strict: bool) -> dict[str, Any]:
    """Recall per family (a value counts when findings cover it whole, or for the
    baselines, whose spans follow their own conventions, when one overlaps it) and
    false positives on the look-alikes."""
    positives, negatives = _load_corpus()
    planted: Counter[str] = Counter()
    found: Counter[str] = Counter()
    started = time.perf_counter()
    for case in positives:
        planted[case["family"]] += 1
        hit = (_covers if strict else _overlaps)(spans(case["text"]), case["start"], case["end"])
        found[case["family"]] += hit
    false_positives = sum(len(spans(case["text"])) for case in negatives)
    flagged = sum(1 for case in negatives if spans(case["text"]))
    hits = sum(found.values())
    return {
        "status": "ok", "engine": name, "criterion": "covers" if strict else "overlaps",
        "families": {f: {"planted": planted[f], "found": found[f], "recall": found[f] / planted[f]}
                     for f in sorted(planted)},
        "recall": hits / sum(planted.values()),
        "negatives": len(negatives), "negatives_flagged": flagged,
        "precision": hits / (hits + false_positives) if hits + false_positives else 1.0,
        "seconds": time.perf_counter() - started,
    }  # fmt: skip


def corpus(scanner: Scanner) -> dict[str, Any]:
    def ours(text: str) -> list[tuple[int, int]]:
        return [(f.start, f.end) for f in scanner.scan(text)]

    results = {"affidavit": _corpus_scores(f"affidavit ({scanner.engine})", ours, True)}
    analyzer = _presidio_analyzer()
    if analyzer is None:
        results["presidio"] = {"status": "not installed"}
    else:

        def presidio(text: str) -> list[tuple[int, int]]:
            return [(r.start, r.end) for r in analyzer.analyze(text=text, language="en")]

        results["presidio"] = _corpus_scores("presidio", presidio, False)
    detect_secrets = _detect_secrets_spans()
    results["detect_secrets"] = (
        _corpus_scores("detect-secrets", detect_secrets, False)
        if detect_secrets is not None
        else {"status": "not installed"}
    )
    ours_scores = results["affidavit"]
    results["targets"] = {
        "recall": TARGET_CORPUS_RECALL, "family_recall": TARGET_FAMILY_RECALL,
        "recall_met": ours_scores["recall"] >= TARGET_CORPUS_RECALL,
        "family_recall_met": all(f["recall"] >= TARGET_FAMILY_RECALL
                                 for f in ours_scores["families"].values()),
    }  # fmt: skip
    return results


def _corpus_table(results: dict[str, Any]) -> str:
    names = [n for n in ("affidavit", "presidio", "detect_secrets") if results[n]["status"] == "ok"]
    ours = results["affidavit"]
    out = [
        f"Real-format corpus (tests/data/secrets): {sum(f['planted'] for f in ours['families'].values())} "
        f"values in {len(ours['families'])} families, {ours['negatives']} look-alikes. Recall: "
        "affidavit counts a value when its findings cover every character of it; the baselines "
        "when any finding overlaps it.",
        "",
        "| family | values | " + " | ".join(results[n]["engine"] for n in names) + " |",
        "|---|---" + "|---" * len(names) + "|",
    ]
    for family, figures in ours["families"].items():
        cells = [f"{results[n]['families'][family]['recall']:.3f}" for n in names]
        out.append(f"| {family} | {figures['planted']} | " + " | ".join(cells) + " |")
    out.append(
        "| **all** | | " + " | ".join(f"**{results[n]['recall']:.3f}**" for n in names) + " |"
    )
    out.append("| look-alikes flagged | " + str(ours["negatives"]) + " | "
               + " | ".join(str(results[n]["negatives_flagged"]) for n in names) + " |")  # fmt: skip
    out.append(
        "| precision | | " + " | ".join(f"{results[n]['precision']:.3f}" for n in names) + " |"
    )
    for n in ("presidio", "detect_secrets"):
        if results[n]["status"] != "ok":
            out.append(f"\n{n}: {results[n]['status']}")
    targets = results["targets"]
    out.append(
        f"\nRecall >= {targets['recall']} overall: {'met' if targets['recall_met'] else 'NOT met'}; "
        f">= {targets['family_recall']} in every family: "
        f"{'met' if targets['family_recall_met'] else 'NOT met'}."
    )
    return "\n".join(out)


# ------------------------------------------------------------------------------ main


def run(quick: bool, seed: int) -> dict[str, Any]:
    pinned = _pin_one_core()
    corpus_chars = (4 if quick else 52) * MB
    sample_re, sample_presidio, sample_ds, sample_lines = (
        (300_000, 40_000, 150_000, 1 * MB) if quick else (2 * MB, 300_000, 1 * MB, 5 * MB)
    )
    started = time.perf_counter()
    documents, truth = [], []
    for index, (doc, plants) in enumerate(_Corpus(seed).documents(corpus_chars, 1_000_000)):
        documents.append(doc)
        truth.extend((index, kind, start, end) for kind, start, end in plants)
    generation = time.perf_counter() - started
    total = sum(map(len, documents))
    assert all(doc.isascii() for doc in documents)

    results: dict[str, Any] = {
        "corpus": {
            "mb": total / MB,
            "documents": len(documents),
            "planted": len(truth),
            "seed": seed,
            "generation_s": generation,
            "cpu": pinned,
        },
        "reference_mb_per_s": REFERENCE,
    }
    engines: dict[str, Any] = {}
    found: list[tuple[int, str, int, int]] = []
    if hyperscan_available():
        compile_start = time.perf_counter()
        scanner = Scanner(engine="hyperscan")
        compile_s = time.perf_counter() - compile_start
        scanner.scan(documents[0][:10_000])  # warm up
        per_doc: list[list[tuple[str, int, int]]] = []

        def scan_all() -> None:
            for doc in documents:
                per_doc.append([(f.kind, f.start, f.end) for f in scanner.scan(doc)])

        # Best of three passes: the machine is shared, and the best pass is the one least
        # disturbed by other load (the findings are the same every time).
        seconds = min(_timed(scan_all) for _ in range(REPEATS))
        per_doc = per_doc[: len(documents)]
        found = [(i, k, s, e) for i, fs in enumerate(per_doc) for k, s, e in fs]
        engines["hyperscan"] = {"status": "ok", "mb": total / MB, "seconds": seconds,
                                "mb_per_s": total / MB / seconds, "compile_s": compile_s,
                                "findings": len(found)}  # fmt: skip
        # The same scan without the views that undo evasions: what normalising costs.
        plain = Scanner(ScanConfig(undo_evasions=False), engine="hyperscan")
        plain.scan(documents[0][:10_000])
        seconds = min(
            _timed(lambda: [plain.scan(doc) for doc in documents]) for _ in range(REPEATS)
        )
        engines["hyperscan_no_views"] = {"status": "ok", "mb": total / MB, "seconds": seconds,
                                         "mb_per_s": total / MB / seconds}  # fmt: skip
        lines = _sample(documents, sample_lines)
        seconds = min(
            _timed(lambda: [scanner.scan(line) for line in lines]) for _ in range(REPEATS)
        )
        size = sum(map(len, lines))
        engines["hyperscan_per_line"] = {"status": "ok", "mb": size / MB, "seconds": seconds,
                                         "mb_per_s": size / MB / seconds, "lines": len(lines)}  # fmt: skip
    else:
        engines["hyperscan"] = {"status": "not installed"}

    re_scanner = Scanner(engine="re")
    re_chunks = _chunks(_sample(documents, sample_re), 1_000_000)
    re_found: list[list[Any]] = []
    seconds = _timed(lambda: re_found.extend(re_scanner.scan(c) for c in re_chunks))
    size = sum(map(len, re_chunks))
    engines["re"] = {
        "status": "ok",
        "mb": size / MB,
        "seconds": seconds,
        "mb_per_s": size / MB / seconds,
    }
    if engines["hyperscan"]["status"] == "ok":
        engines["re"]["identical_to_hyperscan"] = re_found == [scanner.scan(c) for c in re_chunks]
    if not found:  # no hyperscan: score the re engine on its sample only
        found = [(0, f.kind, f.start, f.end) for fs in re_found for f in fs]
    engines["presidio"] = _presidio(_sample(documents, sample_presidio))
    engines["detect_secrets"] = _detect_secrets(_sample(documents, sample_ds))
    results["engines"] = engines
    results["kinds"] = _score(truth, found)
    hs = engines["hyperscan"]
    results["targets"] = {
        "mb_per_s": TARGET_MBPS, "recall": TARGET_RECALL, "precision": TARGET_PRECISION,
        "mb_per_s_met": hs.get("mb_per_s", 0) >= TARGET_MBPS,
        "recall_met": all(k["recall"] >= TARGET_RECALL for k in results["kinds"].values()),
        "precision_met": all(k["precision"] >= TARGET_PRECISION for k in results["kinds"].values()),
    }  # fmt: skip
    if engines["presidio"]["status"] == "ok" and hs["status"] == "ok":
        results["targets"]["speedup_vs_presidio"] = hs["mb_per_s"] / engines["presidio"]["mb_per_s"]
    main_scanner = scanner if hs["status"] == "ok" else re_scanner
    results["corpus_real_format"] = corpus(main_scanner)
    results["corpus_real_format"]["re_identical"] = all(
        re_scanner.scan(case["text"]) == main_scanner.scan(case["text"])
        for rows in _load_corpus()
        for case in rows
    )
    return results


def _score(
    truth: list[tuple[int, str, int, int]], found: list[tuple[int, str, int, int]]
) -> dict[str, Any]:
    truth_set, found_set = set(truth), set(found)
    hits = Counter(t[1] for t in truth_set & found_set)
    planted, reported = Counter(t[1] for t in truth_set), Counter(f[1] for f in found_set)
    return {
        kind: {
            "planted": planted[kind],
            "reported": reported[kind],
            "recall": hits[kind] / planted[kind] if planted[kind] else 1.0,
            "precision": hits[kind] / reported[kind] if reported[kind] else 1.0,
        }
        for kind in sorted(set(planted) | set(reported))
    }


def _table(results: dict[str, Any]) -> str:
    corpus, engines = results["corpus"], results["engines"]
    out = [
        f"Corpus: {corpus['mb']:.1f} MB in {corpus['documents']} documents, "
        f"{corpus['planted']} planted values ({corpus['planted'] / corpus['mb'] / 1000:.1f} per KB), "
        f"seed {corpus['seed']}, {corpus['cpu']}; our engines: best of {REPEATS} passes.",
        "",
        "| engine | scanned | MB/s (one core) | note |",
        "|---|---|---|---|",
    ]
    notes = {
        "hyperscan": "affidavit.protect, findings with spans, whole corpus (~1 MB documents)",
        "hyperscan_no_views": "same, ScanConfig(undo_evasions=False): no normalising views (its cost)",
        "hyperscan_per_line": "same, one scan() call per log line (per-call overhead)",
        "re": "affidavit.protect pure-re fallback, sample (prefix of the corpus)",
        "presidio": "Presidio AnalyzerEngine, no_op NLP, predefined pattern recognizers, sample",
        "detect_secrets": "detect-secrets default plugins, scan_line per line, sample",
    }
    for name, note in notes.items():
        figures = engines.get(name, {"status": "not installed"})
        if figures["status"] != "ok":
            out.append(f"| {name} | - | - | {figures['status']} |")
            continue
        extra = ""
        if "identical_to_hyperscan" in figures:
            extra = (
                "; findings identical to hyperscan"
                if figures["identical_to_hyperscan"]
                else "; FINDINGS DIFFER"
            )
        out.append(
            f"| {name} | {figures['mb']:.2f} MB | {figures['mb_per_s']:.2f} | {note}{extra} |"
        )
    targets = results["targets"]
    out += [
        "",
        f"Target >= {targets['mb_per_s']} MB/s with hyperscan: {'met' if targets['mb_per_s_met'] else 'NOT met'}",
    ]
    if "speedup_vs_presidio" in targets:
        out.append(
            f"Speed-up over Presidio: {targets['speedup_vs_presidio']:.0f}x (target >= 300x)"
        )
    out += ["", "| kind | planted | reported | recall | precision |", "|---|---|---|---|---|"]
    for kind, k in results["kinds"].items():
        out.append(
            f"| {kind} | {k['planted']} | {k['reported']} | {k['recall']:.4f} | {k['precision']:.4f} |"
        )
    out.append("")
    out.append(f"Recall >= {TARGET_RECALL} on every kind: {'met' if targets['recall_met'] else 'NOT met'}; "
               f"precision >= {TARGET_PRECISION} on every kind: {'met' if targets['precision_met'] else 'NOT met'}.")  # fmt: skip
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small corpus, under a minute")
    parser.add_argument("--json", action="store_true", help="print one JSON object of figures")
    parser.add_argument("--seed", type=int, default=20240501)
    args = parser.parse_args(argv)
    results = run(args.quick, args.seed)
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        print(_table(results) + "\n\n" + _corpus_table(results["corpus_real_format"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
