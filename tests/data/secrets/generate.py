"""Writes the real-format secret corpus: positives.jsonl and negatives.jsonl (seeded).

    python tests/data/secrets/generate.py

Every value is random, made here in the shape its vendor documents (tests/data/SOURCES.md
names the public format each follows), inside the context people paste it in: config
files, code, shell, logs, JSON and XML. A positive is {"family", "kind", "text", "start",
"end"}: text[start:end] is the secret or personal value. A negative is {"family", "text"}:
a look-alike (placeholder, hash, UUID, test value...) that must yield no finding.
"""

from __future__ import annotations

import base64
import json
import random
import string
import uuid
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
SEED = 20261207
PER_VARIANT = 3  # samples per (template, format) pair

B62 = string.ascii_letters + string.digits
B64 = B62 + "+/"
B64URL = B62 + "-_"
HEX = "0123456789abcdef"
B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
FULL_WIDTH = str.maketrans("0123456789@", "０１２３４５６７８９＠")


def rnd(r: random.Random, alphabet: str, n: int) -> str:
    return "".join(r.choice(alphabet) for _ in range(n))


def luhn(prefix: str, length: int, r: random.Random) -> str:
    digits = prefix + rnd(r, string.digits, length - len(prefix) - 1)
    total = 0
    for i, c in enumerate(reversed(digits)):
        v = int(c) * (2 if i % 2 == 0 else 1)
        total += v - 9 if v > 9 else v
    return digits + str((10 - total % 10) % 10)


def iban_de(r: random.Random) -> str:
    bban = rnd(r, string.digits, 18)
    numeric = "".join(str(int(c, 36)) for c in bban + "DE00")
    return f"DE{98 - int(numeric) % 97:02d}{bban}"


def password(r: random.Random) -> str:
    core = [
        r.choice(string.ascii_uppercase),
        r.choice(string.ascii_lowercase),
        r.choice(string.digits),
        r.choice("!#%+=?@^~"),
    ]
    core += [r.choice(B62 + "!#+=?^~") for _ in range(r.randint(6, 12))]
    r.shuffle(core)
    return r.choice(string.ascii_letters) + "".join(core)


def pem(r: random.Random, label: str, newline: str = "\n", lines: int = 6) -> str:
    body = [rnd(r, B64, 64) for _ in range(lines)] + [rnd(r, B64, 20) + "=="]
    return newline.join([f"-----BEGIN {label}-----", *body, f"-----END {label}-----"])


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def jwt(r: random.Random, alg: str = "HS256", signed: bool = True) -> str:
    header = b64url(json.dumps({"alg": alg, "typ": "JWT"}).encode())
    claims = {
        "sub": rnd(r, string.ascii_lowercase, 8),
        "iat": r.randint(1_600_000_000, 1_800_000_000),
        "scope": r.choice(["read", "admin", "openid profile"]),
    }
    payload = b64url(json.dumps(claims).encode())
    signature = rnd(r, B64URL, 43 if alg == "HS256" else 342) if signed else ""
    return f"{header}.{payload}.{signature}" if signed else f"{header}.{payload}"


# ---- values per kind -----------------------------------------------------------------

V: dict[str, Callable[[random.Random], str]] = {
    "aws_key_id": lambda r: r.choice(["AKIA", "ASIA"]) + rnd(r, B32, 16),
    "aws_secret": lambda r: rnd(r, B64, 40),
    "aws_bedrock": lambda r: (
        "ABSK"
        + base64.b64encode(
            f"BedrockAPIKey-{rnd(r, 'abcdefghij0123456789', 5)}-at-{r.randint(10**11, 10**12 - 1)}:{rnd(r, B64, 40)}".encode()
        ).decode()
    ),
    "aws_session": lambda r: "IQoJb3JpZ2luX2Vj" + rnd(r, B64, 300),
    "entra": lambda r: rnd(r, B62 + "_~.-", 3) + r.choice("78") + "Q~" + rnd(r, B62 + "_~.-", 34),
    "storage_key": lambda r: rnd(r, B64, 86) + "==",
    "sas_sig": lambda r: (
        base64.b64encode(r.randbytes(32))
        .decode()
        .replace("+", "%2B")
        .replace("/", "%2F")
        .replace("=", "%3D")
    ),
    "ado_legacy": lambda r: rnd(r, "abcdefghijklmnopqrstuvwxyz234567", 52),
    "ado_new": lambda r: rnd(r, B62, 76) + "AZDO" + rnd(r, B62, 4),
    "acr": lambda r: rnd(r, B64, 42) + "+ACR" + r.choice("ABCD") + rnd(r, B64, 5),
    "sb_key": lambda r: rnd(r, B64, 43) + "=",
    "gcp_api": lambda r: "AIza" + rnd(r, B64URL, 35),
    "gcp_oauth": lambda r: "GOCSPX-" + rnd(r, B64URL, 28),
    "gcp_key_id": lambda r: rnd(r, HEX, 40),
    "gh_classic": lambda r: "gh" + r.choice("pousr") + "_" + rnd(r, B62, 36),
    "gh_fine": lambda r: f"github_pat_{rnd(r, B62, 22)}_{rnd(r, B62, 59)}",
    "glpat": lambda r: "glpat-" + rnd(r, B64URL, 20),
    "gl_other": lambda r: (
        r.choice(["glrt-", "gldt-", "glft-", "glcbt-", "glsoat-", "glptt-", "gloas-", "glimt-"])
        + rnd(r, B64URL, r.choice([20, 25]))
    ),
    "gl_runner_reg": lambda r: "GR1348941" + rnd(r, B64URL, 20),
    "slack_bot": lambda r: (
        f"xoxb-{r.randint(10**11, 10**12)}-{r.randint(10**12, 10**13)}-{rnd(r, B62, 24)}"
    ),
    "slack_user": lambda r: (
        f"xoxp-{r.randint(10**11, 10**12)}-{r.randint(10**11, 10**12)}-{r.randint(10**12, 10**13)}-{rnd(r, HEX, 32)}"
    ),
    "slack_app": lambda r: (
        f"xapp-1-A{rnd(r, string.ascii_uppercase + string.digits, 10)}-{r.randint(10**12, 10**13)}-{rnd(r, HEX, 64)}"
    ),
    "slack_hook": lambda r: (
        f"https://hooks.slack.com/services/T{rnd(r, B32, 8)}/B{rnd(r, B32, 10)}/{rnd(r, B62, 24)}"
    ),
    "slack_hook_http": lambda r: (
        f"http://hooks.slack.com/services/T{rnd(r, B32, 8)}/B{rnd(r, B32, 10)}/{rnd(r, B62, 24)}"
    ),
    "slack_workflow": lambda r: (
        f"https://hooks.slack.com/workflows/T{rnd(r, B32, 8)}/A{rnd(r, B32, 10)}/{r.randint(10**17, 10**18)}/{rnd(r, B62, 24)}"
    ),
    "stripe": lambda r: (
        r.choice(["sk_live_", "sk_test_", "rk_live_", "rk_test_", "rk_prod_"])
        + rnd(r, B62, r.choice([24, 99]))
    ),
    "stripe_whsec": lambda r: "whsec_" + rnd(r, B62, 32),
    "npm": lambda r: "npm_" + rnd(r, B62, 36),
    "npm_legacy": lambda r: str(uuid.UUID(int=r.getrandbits(128), version=4)),
    "pypi": lambda r: "pypi-AgEIcHlwaS5vcmc" + rnd(r, B64URL, 150),
    "pypi_test": lambda r: "pypi-AgENdGVzdC5weXBpLm9yZw" + rnd(r, B64URL, 150),
    "openai_legacy": lambda r: f"sk-{rnd(r, B62, 20)}T3BlbkFJ{rnd(r, B62, 20)}",
    "openai_proj": lambda r: f"sk-proj-{rnd(r, B64URL, 156)}",
    "openai_proj_sig": lambda r: f"sk-proj-{rnd(r, B64URL, 74)}T3BlbkFJ{rnd(r, B64URL, 74)}",
    "openai_svc": lambda r: f"sk-svcacct-{rnd(r, B64URL, 74)}T3BlbkFJ{rnd(r, B64URL, 74)}",
    "anthropic": lambda r: f"sk-ant-api03-{rnd(r, B64URL, 93)}AA",
    "anthropic_admin": lambda r: f"sk-ant-admin01-{rnd(r, B64URL, 93)}AA",
    "hf": lambda r: "hf_" + rnd(r, string.ascii_letters, 34),
    "groq": lambda r: "gsk_" + rnd(r, B62, 52),
    "sendgrid": lambda r: f"SG.{rnd(r, B64URL, 22)}.{rnd(r, B64URL, 43)}",
    "password": password,
    "secret32": lambda r: rnd(r, B62, 32),
    "hex_secret": lambda r: rnd(r, HEX, 40),
    "email": lambda r: (
        f"{r.choice(['jane.doe', 'j.smith', 'ops+alerts', 'm.garcia'])}{r.randint(1, 99)}@{r.choice(['contoso.com', 'fabrikam.org', 'mail.example.net', 'corp.local'])}"
    ),
    "phone": lambda r: r.choice(
        [
            f"+1 {r.randint(201, 989)}-{r.randint(201, 989)}-{r.randint(1000, 9999)}",
            f"+44 20 {r.randint(7000, 7999)} {r.randint(1000, 9999)}",
            f"({r.randint(201, 989)}) {r.randint(201, 989)}-{r.randint(1000, 9999)}",
        ]
    ),
    "ssn": lambda r: (
        f"{r.choice([r.randint(1, 665), r.randint(667, 899)]):03d}-{r.randint(1, 99):02d}-{r.randint(1, 9999):04d}"
    ),
    "card": lambda r: luhn(r.choice(["4", "51", "55", "2221", "6011"]), 16, r),
    "amex": lambda r: luhn(r.choice(["34", "37"]), 15, r),
    "iban": iban_de,
    "ipv4": lambda r: r.choice(
        [
            f"10.{r.randint(0, 255)}.{r.randint(0, 255)}.{r.randint(1, 254)}",
            f"192.168.{r.randint(0, 255)}.{r.randint(1, 254)}",
            f"172.{r.randint(16, 31)}.{r.randint(0, 255)}.{r.randint(1, 254)}",
        ]
    ),
    "ipv6": lambda r: f"fd{rnd(r, HEX, 2)}:{rnd(r, HEX, 4)}:{rnd(r, HEX, 4)}::{rnd(r, HEX, 3)}",
    "host_fqdn": lambda r: (
        f"{r.choice(['ws', 'srv', 'dc', 'db'])}-{r.choice(['fin', 'hr', 'eng'])}-{r.randint(1, 999):03d}.{r.choice(['corp.local', 'ad.internal', 'lan', 'corp', 'contoso.ad'])}"
    ),
    "host_bare": lambda r: (
        f"{r.choice(['WS', 'SRV', 'DC', 'LT'])}-{r.choice(['FIN', 'HR', 'ENG'])}-{r.randint(1, 9999):04d}"
    ),
    "host_public_domain": lambda r: (
        f"{r.choice(['ws', 'lt', 'srv'])}-{r.randint(100, 999)}.{r.choice(['contoso.com', 'fabrikam.org'])}"
    ),
    "mac": lambda r: ":".join(f"{r.randint(0, 255):02x}" for _ in range(6)).replace(
        "ff:ff:ff:ff:ff:ff", "00:1a:2b:3c:4d:5e"
    ),
}


def _jwt_value(r: random.Random) -> str:
    return jwt(r, r.choice(["HS256", "RS256"]))


V["jwt"] = _jwt_value
V["jwt_none"] = lambda r: jwt(r, "none", signed=False)

# ---- templates: (family, kind, value maker, contexts with {v}) ------------------------

T: list[tuple[str, str, str, list[str]]] = [
    (
        "aws",
        "aws_access_key_id",
        "aws_key_id",
        [
            "[default]\naws_access_key_id = {v}\n",
            "export AWS_ACCESS_KEY_ID={v}",
            '{{"AccessKeyId": "{v}", "Expiration": "2026-12-07T12:00:00Z"}}',
            'provider "aws" {{\n  access_key = "{v}"\n}}',
            "aws_access_key_id: {v}",
            "GET /bucket/obj?AWSAccessKeyId={v}&Expires=1765000000&Signature=abc HTTP/1.1",
        ],
    ),
    (
        "aws",
        "aws_secret_access_key",
        "aws_secret",
        [
            "aws_secret_access_key = {v}",
            "AWS_SECRET_ACCESS_KEY={v}",
            '{{"SecretAccessKey": "{v}"}}',
            "aws configure set aws_secret_access_key {v}",
            'secret_key = "{v}"',
            "  AWS_SECRET_ACCESS_KEY: {v}",
        ],
    ),
    (
        "aws",
        "aws_bedrock_api_key",
        "aws_bedrock",
        [
            "export AWS_BEARER_TOKEN_BEDROCK={v}",
            "Authorization: Bearer {v}",
            'bedrock_key = "{v}"',
        ],
    ),
    (
        "aws",
        "generic_secret_assignment",
        "aws_session",
        [
            "aws_session_token = {v}",
            "AWS_SESSION_TOKEN={v}",
            '"SessionToken": "{v}"',
        ],
    ),
    (
        "azure",
        "azure_entra_client_secret",
        "entra",
        [
            "AZURE_CLIENT_SECRET={v}",
            '"clientSecret": "{v}"',
            "az login --service-principal -u 0b7e-app -p {v} --tenant t1",
            'var cred = new ClientSecretCredential(tenantId, clientId, "{v}");',
            "client_secret: {v}",
            'ConfidentialClientApplicationBuilder.Create(id).WithClientSecret("{v}")',
        ],
    ),
    (
        "azure",
        "azure_storage_account_key",
        "storage_key",
        [
            "DefaultEndpointsProtocol=https;AccountName=stprod01;AccountKey={v};EndpointSuffix=core.windows.net",
            "AccountName=stprod01;AccountKey={v}",
            'var key = "{v}";',
            "$storageKey = '{v}'",
            'STORAGE_KEY = "{v}"',
            "az storage blob list --account-name st01 --account-key {v}",
            '<add key="StorageKey" value="{v}" />',
            "AccountEndpoint=https://db1.documents.azure.com:443/;AccountKey={v};",
        ],
    ),
    (
        "azure",
        "azure_sas_token",
        "sas_sig",
        [
            "https://st1.blob.core.windows.net/c/a.txt?sv=2022-11-02&ss=b&srt=co&sp=rl&se=2030-01-01T00:00:00Z&st=2024-01-01T00:00:00Z&spr=https&sig={v}",
            "https://st1.blob.core.windows.net/c?sp=r&st=2024-01-01T00:00:00Z&se=2030-01-01T00:00:00Z&sip=10.1.2.3&sv=2022-11-02&sr=c&sig={v}",
            "?sig={v}&se=2030-01-01&sp=racwdl&sv=2021-06-08&sr=c",
            "BlobEndpoint=https://st1.blob.core.windows.net/;SharedAccessSignature=sv=2022-11-02&ss=b&srt=sco&sp=rwdlac&se=2030-01-01T00:00:00Z&sig={v}",
        ],
    ),
    (
        "azure",
        "azure_devops_pat",
        "ado_legacy",
        [
            "AZURE_DEVOPS_EXT_PAT={v}",
            "git clone https://pat:{v}@dev.azure.com/org/proj/_git/repo",
            "echo {v} | az devops login --organization https://dev.azure.com/org",
        ],
    ),
    (
        "azure",
        "azure_devops_pat",
        "ado_new",
        [
            "AZURE_DEVOPS_EXT_PAT={v}",
            "git clone https://pat:{v}@dev.azure.com/org/proj/_git/repo",
            '"token": "{v}"',
        ],
    ),
    (
        "azure",
        "azure_container_registry_key",
        "acr",
        [
            "docker login cr1.azurecr.io -u cr1 -p {v}",
            'ACR_PASSWORD="{v}"',
            "registry_password: {v}",
        ],
    ),
    (
        "azure",
        "azure_connection_string",
        "sb_key",
        [
            "Endpoint=sb://ns1.servicebus.windows.net/;SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey={v}",
        ],
    ),
    (
        "gcp",
        "gcp_api_key",
        "gcp_api",
        [
            "https://maps.googleapis.com/maps/api/geocode/json?address=x&key={v}",
            "GOOGLE_API_KEY={v}",
            '{{"api_key": "{v}"}}',
            'const firebaseConfig = {{ apiKey: "{v}" }};',
        ],
    ),
    (
        "gcp",
        "gcp_oauth_client_secret",
        "gcp_oauth",
        ['"client_secret": "{v}"', "GOOGLE_CLIENT_SECRET={v}"],
    ),
    (
        "gcp",
        "gcp_service_account_key",
        "gcp_key_id",
        ['{{"type": "service_account", "private_key_id": "{v}"}}'],
    ),
    (
        "github",
        "github_token",
        "gh_classic",
        [
            "GITHUB_TOKEN={v}",
            "Authorization: token {v}",
            "https://x-access-token:{v}@github.com/org/repo.git",
            "git clone https://{v}@github.com/org/repo",
            '{{"token": "{v}"}}',
            "echo {v} | gh auth login --with-token",
        ],
    ),
    ("github", "github_token", "gh_fine", ["GH_TOKEN={v}", "token: {v}"]),
    (
        "gitlab",
        "gitlab_token",
        "glpat",
        ["PRIVATE-TOKEN: {v}", "GITLAB_TOKEN={v}", "https://oauth2:{v}@gitlab.com/g/p.git"],
    ),
    ("gitlab", "gitlab_token", "gl_other", ['token = "{v}"', "CI_TOKEN={v}", "--token {v}"]),
    (
        "gitlab",
        "gitlab_token",
        "gl_runner_reg",
        ["gitlab-runner register --registration-token {v}", "registration_token: {v}"],
    ),
    (
        "slack",
        "slack_token",
        "slack_bot",
        ["SLACK_BOT_TOKEN={v}", "Authorization: Bearer {v}", '"token": "{v}"'],
    ),
    ("slack", "slack_token", "slack_user", ["SLACK_USER_TOKEN={v}", "token={v}"]),
    ("slack", "slack_token", "slack_app", ["SLACK_APP_TOKEN={v}"]),
    (
        "slack",
        "slack_webhook_url",
        "slack_hook",
        ["curl -X POST -d @msg.json {v}", "webhook_url: {v}", '"url": "{v}"'],
    ),
    ("slack", "slack_webhook_url", "slack_hook_http", ["POST {v}"]),
    ("slack", "slack_webhook_url", "slack_workflow", ["SLACK_WORKFLOW_URL={v}", "curl {v}"]),
    (
        "stripe",
        "stripe_key",
        "stripe",
        [
            "STRIPE_SECRET_KEY={v}",
            'stripe.api_key = "{v}"',
            "curl https://api.stripe.com/v1/charges -u {v}:",
            "Stripe::setApiKey('{v}');",
        ],
    ),
    ("stripe", "stripe_key", "stripe_whsec", ["STRIPE_WEBHOOK_SECRET={v}"]),
    (
        "npm_pypi",
        "npm_token",
        "npm",
        [
            "//registry.npmjs.org/:_authToken={v}",
            "NPM_TOKEN={v}",
            "npm config set //registry.npmjs.org/:_authToken {v}",
        ],
    ),
    (
        "npm_pypi",
        "npm_token",
        "npm_legacy",
        ["//registry.npmjs.org/:_authToken={v}", "//npm.corp.example/:_authToken={v}"],
    ),
    (
        "npm_pypi",
        "pypi_token",
        "pypi",
        [
            "[pypi]\nusername = __token__\npassword = {v}\n",
            "TWINE_PASSWORD={v}",
            "uv publish --token {v}",
        ],
    ),
    ("npm_pypi", "pypi_token", "pypi_test", ["[testpypi]\nusername = __token__\npassword = {v}\n"]),
    ("ai", "openai_api_key", "openai_legacy", ["OPENAI_API_KEY={v}", "Authorization: Bearer {v}"]),
    (
        "ai",
        "openai_api_key",
        "openai_proj",
        ["OPENAI_API_KEY={v}", 'client = OpenAI(api_key="{v}")', '"apiKey": "{v}"'],
    ),
    ("ai", "openai_api_key", "openai_proj_sig", ["OPENAI_API_KEY={v}"]),
    ("ai", "openai_api_key", "openai_svc", ["OPENAI_API_KEY={v}"]),
    (
        "ai",
        "anthropic_api_key",
        "anthropic",
        ["ANTHROPIC_API_KEY={v}", "x-api-key: {v}", 'anthropic.Anthropic(api_key="{v}")'],
    ),
    ("ai", "anthropic_api_key", "anthropic_admin", ["ANTHROPIC_ADMIN_KEY={v}"]),
    (
        "ai",
        "huggingface_token",
        "hf",
        ["HF_TOKEN={v}", "huggingface-cli login --token {v}", "Authorization: Bearer {v}"],
    ),
    ("ai", "groq_api_key", "groq", ["GROQ_API_KEY={v}", 'Groq(api_key="{v}")']),
    ("saas", "sendgrid_api_key", "sendgrid", ["SENDGRID_API_KEY={v}", "Authorization: Bearer {v}"]),
    (
        "jwt",
        "jwt",
        "jwt",
        [
            "Authorization: Bearer {v}",
            '{{"id_token": "{v}"}}',
            "Cookie: session={v}; path=/",
            "?access_token={v}&x=1",
        ],
    ),
    ("jwt", "jwt", "jwt_none", ["token={v} ", "Authorization: Bearer {v}"]),
    (
        "assignments",
        "password_assignment",
        "password",
        [
            "DB_PASSWORD={v}",
            "password: {v}",
            '{{"password": "{v}"}}',
            "<password>{v}</password>",
            'dbPassword := "{v}"',
            'var password string = "{v}"',
            '$password = "{v}";',
            "$dbPassword .= '{v}';",
            'System.setProperty("javax.net.ssl.keyStorePassword", "{v}");',
            "DB_PASSWORD ::= {v}",
            "ADMIN_PASS ?= {v}",
            "spring.datasource.password={v}",
            "<Password>\n    {v}\n</Password>",
            '<add key="DbPassword" value="{v}" />',
            '  POSTGRES_PASSWORD: "{v}"',
            "password = '{v}'",
            'os.environ["DB_PASSWORD"] = "{v}"',
            "SET PASSWORD FOR 'app'@'%' = '{v}';",
        ],
    ),
    (
        "assignments",
        "generic_secret_assignment",
        "secret32",
        [
            "API_KEY={v}",
            'client_secret: "{v}"',
            "SECRET_KEY = '{v}'",
            '"apiKey": "{v}"',
            "<apiKey>{v}</apiKey>",
            "<secret>\n  {v}\n</secret>",
            'webhook_secret := "{v}"',
            "X-Api-Key: {v}",
            "APP_SECRET :::= {v}",
            'config.put("api.token", "{v}");',
            'const authToken: string = "{v}";',
        ],
    ),
    (
        "assignments",
        "generic_secret_assignment",
        "hex_secret",
        ["SECRET_KEY_BASE={v}", "encryption_key: {v}", 'private_key = "{v}"'],
    ),
    (
        "url_credentials",
        "credential_in_url",
        "password",
        [
            "postgresql://app:{v}@db.corp.local:5432/app",
            "mysql://root:{v}@10.1.2.3/db",
            "mongodb+srv://svc:{v}@cluster0.ab1cd.mongodb.net/",
            "redis://:{v}@cache:6379/0",
            "amqp://guest:{v}@rabbit:5672/",
            "ftp://backup:{v}@files.example.com/",
            "https://deploy:{v}@git.example.com/r.git",
            "smtp://mailer:{v}@smtp.example.com:587",
        ],
    ),
    (
        "command_line",
        "password_in_command_line",
        "password",
        [
            "mysql -u root -p{v} appdb",
            "sshpass -p '{v}' ssh admin@host",
            "net user svc_backup {v} /add /domain",
            "psexec.exe \\\\srv01 -u admin -p {v} cmd.exe",
            "curl -u admin:{v} https://api.example.com",
            "xfreerdp /u:admin /p:{v} /v:srv01",
            'sqlcmd -S db01 -U sa -P {v} -Q "select 1"',
            "mysqldump --user=bk --password={v} db",
        ],
    ),
    (
        "http_auth",
        "basic_auth_header",
        "basic",
        ["Authorization: Basic {v}", "authorization: basic {v}"],
    ),
    ("http_auth", "bearer_token", "secret32", ["Authorization: Bearer {v}"]),
    ("private_keys", "private_key", "pem", ["{v}", "key: |\n{v}\n", '{{"private_key": "{v}"}}']),
    ("pii", "email", "email", ["mail to {v} today", '"email": "{v}"']),
    ("pii", "phone", "phone", ["call {v} now", "tel: {v}"]),
    ("pii", "us_ssn", "ssn", ["SSN {v} on file", '"ssn": "{v}"']),
    ("pii", "credit_card", "card", ["card {v} exp 12/29", "pan={v}"]),
    ("pii", "credit_card", "amex", ["amex {v}"]),
    ("pii", "iban", "iban", ["IBAN {v}", "pay to {v}."]),
    ("network", "ipv4_internal", "ipv4", ["src={v} dst=8.8.8.8", '"LocalIP": "{v}"']),
    ("network", "ipv6_internal", "ipv6", ["src6={v} port 443"]),
    ("network", "hostname_internal", "host_fqdn", ["connect {v}:445", '"dest": "{v}"']),
    (
        "network",
        "hostname_internal",
        "host_bare",
        [
            '{{"ComputerName": "{v}"}}',
            "WorkstationName={v} ",
            '"DeviceName": "{v}"',
            "host.name={v}",
        ],
    ),
    (
        "network",
        "hostname_internal",
        "host_public_domain",
        ['{{"computerDnsName": "{v}"}}', '"hostName": "{v}"'],
    ),
    ("network", "mac_address", "mac", ["mac {v} up"]),
]

V["basic"] = lambda r: base64.b64encode(
    f"{r.choice(['alice', 'svc'])}:{password(r)}".encode()
).decode()


def _pem_value(r: random.Random) -> str:
    label = r.choice(
        [
            "RSA PRIVATE KEY",
            "EC PRIVATE KEY",
            "OPENSSH PRIVATE KEY",
            "PRIVATE KEY",
            "ENCRYPTED PRIVATE KEY",
            "PGP PRIVATE KEY BLOCK",
            "DSA PRIVATE KEY",
        ]
    )
    return pem(r, label, "\n", r.randint(3, 10))


V["pem"] = _pem_value

# ---- evasions: (kind, builder returning (text, start, end)) ---------------------------


def _evasions(r: random.Random) -> list[tuple[str, str, int, int]]:
    out: list[tuple[str, str, int, int]] = []

    def add(kind: str, before: str, value: str, after: str = "") -> None:
        out.append((kind, before + value + after, len(before), len(before) + len(value)))

    key = V["aws_key_id"](r)
    add("aws_access_key_id", "key ", key[:9] + "\u200b" + key[9:], " end")
    add("aws_access_key_id", "aws_access_key_id=", key.lower())
    card = V["card"](r)
    grouped = " ".join(card[i : i + 4] for i in range(0, 16, 4))
    add("credit_card", "card ", grouped.translate(FULL_WIDTH), " exp")
    add("credit_card", "card ", ".".join(card[i : i + 4] for i in range(0, 16, 4)), " exp")
    ssn = V["ssn"](r)
    add("us_ssn", "SSN ", ssn.replace("-", ""))
    add("us_ssn", "ssn: ", ssn.replace("-", " "))
    token = V["gh_classic"](r)
    add("github_token", "echo ", base64.b64encode(token.encode()).decode(), " | base64 -d")
    add(
        "github_token",
        '{"token": "',
        token[:20] + "\\u00" + f"{ord(token[20]):02x}" + token[21:],
        '"}',
    )
    secret = V["aws_secret"](r).replace("+", "/")
    add("aws_secret_access_key", '{"aws_secret_access_key": "', secret.replace("/", "\\/"), '"}')
    token_jwt = V["jwt"](r)
    add("jwt", "token: ", token_jwt[:50] + "\n" + token_jwt[50:])
    add(
        "password_assignment",
        'passphrase = "',
        "correct horse " + r.choice(["battery", "stapler", "orbit"]) + " staple",
        '"',
    )
    add("email", "mail ", V["email"](r).replace("@", "＠"), " now")
    add("openai_api_key", "OPENAI_API_KEY=", V["openai_proj"](r))
    return out


# ---- negatives -----------------------------------------------------------------------


def _negatives(r: random.Random) -> list[tuple[str, str]]:
    guid = str(uuid.UUID(int=r.getrandbits(128), version=4))
    pub = "-----BEGIN PUBLIC KEY-----\n" + rnd(r, B64, 64) + "\n-----END PUBLIC KEY-----"
    cert = "-----BEGIN CERTIFICATE-----\n" + rnd(r, B64, 64) + "\n-----END CERTIFICATE-----"
    sri = base64.b64encode(r.randbytes(64)).decode()
    return [
        ("placeholder", "GITHUB_TOKEN=ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"),
        ("placeholder", "GITLAB_TOKEN=glpat-XXXXXXXXXXXXXXXXXXXX"),
        ("placeholder", "SLACK_BOT_TOKEN=xoxb-xxxxxxxxxxxx-xxxxxxxxxxxxx-xxxxxxxxxxxxxxxxxxxxxxxx"),
        ("placeholder", "aws_access_key_id = AKIAXXXXXXXXXXXXXXXX"),
        ("placeholder", "GOOGLE_API_KEY=AIzaSy" + "A" * 33),
        ("placeholder", "STRIPE_SECRET_KEY=sk_live_" + "x" * 24),
        ("placeholder", "OPENAI_API_KEY=sk-proj-" + "X" * 48),
        (
            "placeholder",
            "-----BEGIN RSA PRIVATE KEY-----\n<your private key here>\n-----END RSA PRIVATE KEY-----",
        ),
        (
            "placeholder",
            "-----BEGIN OPENSSH PRIVATE KEY-----\n...\n-----END OPENSSH PRIVATE KEY-----",
        ),
        ("placeholder", "password: ********"),
        ("placeholder", "password=${DB_PASSWORD}"),
        ("placeholder", "api_key: <your-api-key>"),
        ("placeholder", "SECRET_KEY={{ secret_key }}"),
        ("placeholder", "password: changeme"),
        ("placeholder", "token: null"),
        ("placeholder", "password=%DB_PASS%"),
        ("placeholder", "postgresql://user:${PGPASSWORD}@db:5432/app"),
        ("placeholder", "redis://:${REDIS_PASSWORD}@cache:6379"),
        ("placeholder", "//registry.npmjs.org/:_authToken=${NPM_TOKEN}"),
        ("placeholder", "AZURE_CLIENT_SECRET=<client-secret>"),
        ("placeholder", "Authorization: Bearer <token>"),
        ("placeholder", "Authorization: Basic <base64(user:pass)>"),
        ("placeholder", "password: '[REDACTED]'"),
        ("hash", f"sha256={rnd(r, HEX, 64)}"),
        ("hash", f"md5 {rnd(r, HEX, 32)}"),
        ("hash", f"commit {rnd(r, HEX, 40)}"),
        ("hash", f"SHA1={rnd(r, HEX, 40).upper()}"),
        ("hash", f"image@sha256:{rnd(r, HEX, 64)}"),
        ("hash", f'"integrity": "sha512-{sri}"'),
        ("hash", f"IMPHASH={rnd(r, HEX, 32).upper()}"),
        ("uuid", f"request_id={guid}"),
        ("uuid", f"ProcessGuid={{{guid.upper()}}}"),
        ("uuid", f'"tenantId": "{guid}"'),
        ("uuid", f"token_id={guid}"),
        ("test_value", "password=test"),
        ("test_value", "api_key=test123"),
        ("test_value", "token: dummy"),
        ("test_value", "secret=foobar"),
        ("test_value", "SECRET_KEY=changeme"),
        ("test_value", "token_type=Bearer expires_in=3600"),
        ("test_value", "password_policy=strict"),
        ("test_value", "api_key=" + "a" * 32),
        ("lookalike", pub),
        ("lookalike", cert),
        ("lookalike", "eyJhbGciOiJub25lIn0.notjwtatall"),
        ("lookalike", "region asiapacificoperation"),
        ("lookalike", "dst=8.8.8.8 src=52.94.236.248"),
        ("lookalike", "host www.example.com and api.local-cloud.com"),
        ("lookalike", "order 4111111111111112 shipped"),
        ("lookalike", "id 000-12-3456"),
        ("lookalike", "version 10.0.22621.1"),
        ("lookalike", "ts 2026-12-07T12:00:00Z pid 4242"),
        ("lookalike", "path C:\\Windows\\System32\\cmd.exe by NT AUTHORITY\\SYSTEM"),
        ("lookalike", "mysql -u root -p appdb"),
        ("lookalike", f"base64 {base64.b64encode(r.randbytes(30)).decode()}"),
        ("lookalike", "skeleton_key_attack detected"),
        ("lookalike", "user@localhost"),
        ("lookalike", "call 123-456-7890"),
        ("lookalike", "DE89370400440532013001"),
        ("lookalike", "mac 00:00:00:00:00:00"),
        ("lookalike", 'WWW-Authenticate: Bearer realm="api"'),
        ("lookalike", "Authorization: Basic aGVsbG8="),
        ("lookalike", "a" * 52),
        ("lookalike", "sig=notbase64notbase64notbase64notbase64notbase64"),
        ("lookalike", "ghp_R8aQ2mK9vL4nP7sT1wX5yZ3bC6dF0gH2jK4"),
    ]


def build() -> tuple[list[dict[str, object]], list[dict[str, object]]]:
    r = random.Random(SEED)
    positives: list[dict[str, object]] = []
    for family, kind, maker, contexts in T:
        for context in contexts:
            for _ in range(PER_VARIANT):
                value = V[maker](r)
                if maker == "pem" and context.startswith("{{"):
                    value = value.replace("\n", "\\n")
                text = context.format(v=value)
                start = text.index(value)
                positives.append(
                    {
                        "family": family,
                        "kind": kind,
                        "text": text,
                        "start": start,
                        "end": start + len(value),
                    }
                )
    for _ in range(PER_VARIANT):
        for kind, text, start, end in _evasions(r):
            positives.append(
                {"family": "evasion", "kind": kind, "text": text, "start": start, "end": end}
            )
    seen: set[str] = set()
    negatives = []
    for _ in range(PER_VARIANT):  # the random look-alikes differ each round, templates repeat
        for family, text in _negatives(r):
            if text not in seen:
                seen.add(text)
                negatives.append({"family": family, "text": text})
    return positives, negatives


def main() -> None:
    positives, negatives = build()
    for name, rows in (("positives.jsonl", positives), ("negatives.jsonl", negatives)):
        with (HERE / name).open("w", encoding="utf-8") as f:
            f.writelines(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
    print(f"{len(positives)} positives, {len(negatives)} negatives")


if __name__ == "__main__":
    main()
