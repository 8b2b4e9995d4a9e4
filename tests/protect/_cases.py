"""Hand-written detector cases shared by the per-kind tests and the engine parity test.

POSITIVE: (kind, text, value) - the scan must report ``kind`` spanning exactly ``value``
(its first occurrence in ``text``). NEGATIVE: (kind, text) - no finding of ``kind``.
"""

from __future__ import annotations

_RSA = (
    "-----BEGIN RSA PRIVATE KEY-----\n"
    "MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun\n"
    "VTLw7onLRnrq0/IzW7yWR7QkrmBL7jTKEn5u+qKhbwKfBstIs+bMY2Zkp18gnTxK\n"
    "-----END RSA PRIVATE KEY-----"
)
_OPENSSH = (
    "-----BEGIN OPENSSH PRIVATE KEY-----\n"
    "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n"
    "QyNTUxOQAAACCvTo6Hb1zRDDsA8xnOXj7t0yGnN+3QEdMIsFEAGAx0dQAAAJgLkjVWC5I1\n"
    "-----END OPENSSH PRIVATE KEY-----"
)
_PGP = (
    "-----BEGIN PGP PRIVATE KEY BLOCK-----\n"
    "Version: GnuPG v2\n\n"
    "lQOYBF0Ff4IBCAC8xTmZb4VNbVzP5ahg3tTWDmHW0eS3fWvHQ3w2xmZoP0J2bK8Q\n"
    "=Xq3d\n"
    "-----END PGP PRIVATE KEY BLOCK-----"
)
_EC = "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIBkg4LVWM9nuwNSk3yByxZpYRTBnVJk5oW8GKbXoJ6ZhoAoGCCqGSM49\n-----END EC PRIVATE KEY-----"
_PKCS8 = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj\n-----END PRIVATE KEY-----"
_JSON_PEM = "-----BEGIN PRIVATE KEY-----\\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj\\n-----END PRIVATE KEY-----\\n"
_JWT = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
    "eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ."
    "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"
)
_KEY88 = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
_B64_86 = _KEY88

_AZDO84 = "Xw2eR4tY6uI8oP0aS2dF4gH6jK8lZ1xC3vB5nM7qW9eR2tY4uI6oP8aS1dF3gH5jK7lZ9xC2vB4nAZDOk3Lm"
_ACR = "zq2W7pL0mN9bV8cX7zA6sD5fG4hJ3kL2qW1eR0tY9u+ACRBW4tYu"
_ACR_OLD = "zq2W7pL0mN9bV8cX7zA6sD5fG4hJ3kL2qW1eR0tY9uI8oP7a+ACR"
_JWT_NONE = "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJzdWIiOiJhZG1pbiIsInJvbGUiOiJhZG1pbiJ9"
_BEDROCK = (
    "ABSKQmVkcm9ja0FQSUtleS1rZDJmNy1hdC0xMjM0NTY3ODkwMTI6U2s4Zkx3UTJwTjdyVDR4QjltRjZ2WjNjSDFqSzVu"
)
_OPENAI_PROJ = "sk-proj-Xw2eR4tY6uI8oP0aS2dF4gH6jK8lZ1xC3vB5nM7qW9eR2tY4uI6oP8aS1dF3gH5jK7lZ9xC2vB4nM6_qW8e-R1tY3uI5o"

POSITIVE: list[tuple[str, str, str]] = [
    ("aws_access_key_id", "aws_access_key_id = AKIAIOSFODNN7EXAMPLE", "AKIAIOSFODNN7EXAMPLE"),
    ("aws_access_key_id", '{"AccessKeyId": "ASIAY34FZKBOKMUTVV7A"}', "ASIAY34FZKBOKMUTVV7A"),
    # regression (issue 14): a key id lower-cased by a paste or a pipeline
    ("aws_access_key_id", "id akiaiosfodnn7example end", "akiaiosfodnn7example"),
    ("aws_secret_access_key", "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
    ("aws_secret_access_key", '"SecretAccessKey": "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY"', "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY"),
    # regression: the AWS CLI sets it with a space, found by the plaintext-at-rest test
    ("aws_secret_access_key", "aws configure set aws_secret_access_key wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
    ("gcp_service_account_key", '"private_key_id": "f4c2a1b0e9d8c7b6a5f4e3d2c1b0a9f8e7d6c5b4",', "f4c2a1b0e9d8c7b6a5f4e3d2c1b0a9f8e7d6c5b4"),
    ("gcp_service_account_key", f'{{"type": "service_account", "private_key": "{_JSON_PEM}", "client_email": "x@p.iam.gserviceaccount.com"}}', _JSON_PEM),
    ("gcp_api_key", "https://maps.googleapis.com/api?key=AIzaSyDaGmWKa4JsXZ-HjGw7ISLn_3namBGewQe&x=1", "AIzaSyDaGmWKa4JsXZ-HjGw7ISLn_3namBGewQe"),
    ("gcp_oauth_client_secret", '"client_secret": "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"', "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"),
    ("azure_storage_account_key", f"storage_key = {_KEY88}", _KEY88),
    ("azure_connection_string", f"conn=DefaultEndpointsProtocol=https;AccountName=stprod01;AccountKey={_KEY88};EndpointSuffix=core.windows.net;",
     f"DefaultEndpointsProtocol=https;AccountName=stprod01;AccountKey={_KEY88};EndpointSuffix=core.windows.net"),
    ("azure_connection_string", "Endpoint=sb://ns1.servicebus.windows.net/;SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey=3pQ7tYxZk2Lm9Nv4Rw8Bc1Df6Gh0Jk5Mn2Pq8Rs4Tu0=",
     "Endpoint=sb://ns1.servicebus.windows.net/;SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey=3pQ7tYxZk2Lm9Nv4Rw8Bc1Df6Gh0Jk5Mn2Pq8Rs4Tu0="),
    ("azure_sas_token", "GET https://st1.blob.core.windows.net/c/a.txt?sv=2022-11-02&sp=r&sig=Z%2FRHIX5Xcg0Mq2rqI3OlWTjEg2tYkboXr1P9ZUXDtkk%3D HTTP/1.1",
     "Z%2FRHIX5Xcg0Mq2rqI3OlWTjEg2tYkboXr1P9ZUXDtkk%3D"),
    ("github_token", "GH_TOKEN=ghp_R8aQ2mK9vL4nP7sT1wX5yZ3bC6dF0gH2jK4l gh pr list", "ghp_R8aQ2mK9vL4nP7sT1wX5yZ3bC6dF0gH2jK4l"),
    ("github_token", "GITHUB_TOKEN=github_pat_11ABCDEFG0123456789abc_ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456", "github_pat_11ABCDEFG0123456789abc_ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456"),
    ("gitlab_token", "PRIVATE-TOKEN: glpat-xK9mP2vL7nQ4rT8wY1zB", "glpat-xK9mP2vL7nQ4rT8wY1zB"),
    ("slack_token", "token xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx.", "xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx"),
    ("slack_webhook_url", "POST https://hooks.slack.com/services/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 ok", "https://hooks.slack.com/services/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"),
    ("stripe_key", "STRIPE_KEY=sk_live_4eC39HqLyjWDarjtT1zdp7dc", "sk_live_4eC39HqLyjWDarjtT1zdp7dc"),
    ("stripe_key", "rk_live_51H8xYzAbCdEfGhIjKlMnOpQr used", "rk_live_51H8xYzAbCdEfGhIjKlMnOpQr"),
    ("sendgrid_api_key", "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", "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"),
    ("npm_token", "//registry.npmjs.org/:_authToken=npm_aB3dE5gH7jK9mN1pQ3sT5vW7yZ9bC1dF3gH5", "npm_aB3dE5gH7jK9mN1pQ3sT5vW7yZ9bC1dF3gH5"),
    ("pypi_token", "password = pypi-AgEIcHlwaS5vcmcCJGI4YmNhN2U0LTI3YjktNDU5Zi1hNTBkLTk4ZjI0ZGE1M2U0NgACKlszLCJi", "pypi-AgEIcHlwaS5vcmcCJGI4YmNhN2U0LTI3YjktNDU5Zi1hNTBkLTk4ZjI0ZGE1M2U0NgACKlszLCJi"),
    ("openai_api_key", "OPENAI_API_KEY=sk-proj-aB3dE5gH7jK9mN1pQ3sT5vW7yZT3BlbkFJaB3dE5gH7jK9mN1pQ3sT5vW7", "sk-proj-aB3dE5gH7jK9mN1pQ3sT5vW7yZT3BlbkFJaB3dE5gH7jK9mN1pQ3sT5vW7"),
    ("anthropic_api_key", "x-api-key: sk-ant-api03-aB3dE5gH7jK9mN1pQ3sT5vW7yZ9bC1dF3gH5jK7mN9pQ1sT3vW5yZ7bC9dF1gH3jK5mN7pQ9sT1vW3yZ5bC7dF9gH1jK3mN5AA", "sk-ant-api03-aB3dE5gH7jK9mN1pQ3sT5vW7yZ9bC1dF3gH5jK7mN9pQ1sT3vW5yZ7bC9dF1gH3jK5mN7pQ9sT1vW3yZ5bC7dF9gH1jK3mN5AA"),
    ("private_key", f"found key:\n{_RSA}\nin /tmp/id_rsa", _RSA),
    ("private_key", f"{_OPENSSH}\n", _OPENSSH),
    ("private_key", f"armor {_PGP} end", _PGP),
    ("private_key", f"ec={_EC}", _EC),
    ("private_key", f"pkcs8 {_PKCS8}", _PKCS8),
    ("private_key", '{"key": "' + _RSA.replace("\n", "\\n") + '"}', _RSA.replace("\n", "\\n")),
    # A block cut short still covers its header and every base64 line after it.
    ("private_key", "log: -----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAu1SU1LfVLPHCozMx\nH2Mo4lgOEePzNm0t\n[truncated]",
     "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAu1SU1LfVLPHCozMx\nH2Mo4lgOEePzNm0t"),
    ("jwt", f"Authorization: Bearer {_JWT}", _JWT),
    ("jwt", f'"id_token":"{_JWT}"', _JWT),
    ("credential_in_url", "DATABASE_URL=postgresql://app:S3cr3t%21@db.corp.local:5432/app", "app:S3cr3t%21"),
    ("credential_in_url", "cloning https://deploy:p@ssw0rd@git.example.com/r.git", "deploy:p@ssw0rd"),
    ("credential_in_url", "amqp://guest:Gu3st-Pw@rabbit:5672/", "guest:Gu3st-Pw"),
    ("password_in_command_line", "mysql -u root -pS3cr3tPw appdb", "S3cr3tPw"),
    ("password_in_command_line", "mysqldump --user=backup --password=Tr0ub4dor --all-databases", "Tr0ub4dor"),
    ("password_in_command_line", "pg_dump --password 'Sp ace9!' -h db", "Sp ace9!"),
    ("password_in_command_line", "cmd.exe /c net user backup_svc Winter2024! /add /domain", "Winter2024!"),
    ("password_in_command_line", 'net1 user "svc acct" "P4ss w0rd" /add', "P4ss w0rd"),
    ("password_in_command_line", "sshpass -p Hunter22 ssh admin@10.0.0.1", "Hunter22"),
    ("password_in_command_line", "xfreerdp /u:admin /p:Rdp#2024 /v:srv01", "Rdp#2024"),
    ("password_in_command_line", "PsExec.exe \\\\srv01 -u CORP\\admin -p Ps3x3c! cmd.exe", "Ps3x3c!"),
    ("password_in_command_line", "schtasks /create /tn upd /ru admin /RP Sch3d!Pw /tr calc.exe", "Sch3d!Pw"),
    ("password_in_command_line", "net use \\\\fs01\\share N3tUs3Pw /user:CORP\\bob", "N3tUs3Pw"),
    ("password_in_command_line", "net use Z: \\\\fs01\\share /user:CORP\\bob Z3tUs3Pw", "Z3tUs3Pw"),
    ("password_in_command_line", "powershell $p = ConvertTo-SecureString 'Ps!Secure1' -AsPlainText -Force", "Ps!Secure1"),
    ("password_in_command_line", "curl -s -u admin:CurlP4ss https://api.example.com", "CurlP4ss"),
    ("password_in_command_line", "sqlcmd -S db01 -U sa -P Sql!2024 -Q \"select 1\"", "Sql!2024"),
    ("password_in_command_line", "openssl pkcs12 -in a.p12 -passin pass:Pk12Pass9", "Pk12Pass9"),
    ("password_in_command_line", "wmic /node:srv01 /user:admin /password:Wm1cPass process call create x", "Wm1cPass"),
    # Each tool's own password, even with another tool's `-p` later on the line.
    ("password_in_command_line", "sshpass -p Ssh!Pass1 ssh h; mysql -u root -pMy5ql!Pw db", "Ssh!Pass1"),
    ("password_in_command_line", "sshpass -p Ssh!Pass1 ssh h; mysql -u root -pMy5ql!Pw db", "My5ql!Pw"),
    ("password_assignment", "login ok password=Winter2024! for svc", "Winter2024!"),
    ("password_assignment", '{"user": "svc", "password": "hunter22x"}', "hunter22x"),
    ("password_assignment", "<passwd>Xy9kLm2Q</passwd>", "Xy9kLm2Q"),
    ("password_assignment", "DB_PASSWORD: Corr3ct-Horse", "Corr3ct-Horse"),
    ("generic_secret_assignment", "api_key=9f8e7d6c5b4a39281716a5b4c3d2e1f0", "9f8e7d6c5b4a39281716a5b4c3d2e1f0"),
    ("generic_secret_assignment", "client_secret: Xk9pQ2mN7vR4tY8wZ1aB3cD5", "Xk9pQ2mN7vR4tY8wZ1aB3cD5"),
    ("generic_secret_assignment", "x-amz-security-token: IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQ", "IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQ"),
    ("bearer_token", "Authorization: Bearer 4f9d8c7b6a5e4d3c2b1a0f9e8d7c6b5a", "4f9d8c7b6a5e4d3c2b1a0f9e8d7c6b5a"),
    ("basic_auth_header", "Authorization: Basic YWxpY2U6UzNjcjN0IQ==", "YWxpY2U6UzNjcjN0IQ=="),
    ("email", "sent to jane.doe@example.com today", "jane.doe@example.com"),
    ("email", "from jdoe@corp.local.", "jdoe@corp.local"),
    ("email", "<ops+alerts@mail.fabrikam.org>", "ops+alerts@mail.fabrikam.org"),
    ("phone", "call +1 202-555-0143 now", "+1 202-555-0143"),
    ("phone", "tel (202) 555-0143", "(202) 555-0143"),
    ("phone", "uk +44 20 7946 0958.", "+44 20 7946 0958"),
    ("phone", "fax 202.555.0187", "202.555.0187"),
    ("us_ssn", "SSN 536-22-1234 on file", "536-22-1234"),
    ("us_ssn", "ssn: 536221234", "536221234"),
    ("credit_card", "card 4111111111111111 exp 12/29", "4111111111111111"),
    ("credit_card", "cc=4111 1111 1111 1111", "4111 1111 1111 1111"),
    ("credit_card", "pan 5500-0000-0000-0004", "5500-0000-0000-0004"),
    ("credit_card", "amex 378282246310005", "378282246310005"),
    ("credit_card", "amex 3782 822463 10005", "3782 822463 10005"),
    ("iban", "IBAN DE89370400440532013000", "DE89370400440532013000"),
    ("iban", "IBAN: GB82 WEST 1234 5698 7654 32.", "GB82 WEST 1234 5698 7654 32"),
    ("iban", "to NL91ABNA0417164300", "NL91ABNA0417164300"),
    ("ipv4_internal", "src=10.0.0.1 dst=8.8.8.8", "10.0.0.1"),
    ("ipv4_internal", "peer 172.16.5.4:443", "172.16.5.4"),
    ("ipv4_internal", "gw 192.168.1.10.", "192.168.1.10"),
    ("ipv4_internal", "cgnat 100.64.0.1", "100.64.0.1"),
    ("ipv6_internal", "src6=fd12:3456:789a:1::1 port", "fd12:3456:789a:1::1"),
    ("ipv6_internal", "[FC00:0:0:0:0:0:0:1]:443", "FC00:0:0:0:0:0:0:1"),
    ("hostname_internal", "connect ws01.corp.local:445", "ws01.corp.local"),
    ("hostname_internal", "dc DC01.ad.corp.example.", "DC01.ad.corp.example"),
    ("hostname_internal", "printer.lan is up", "printer.lan"),
    ("hostname_internal", '{"ComputerName": "WS-FIN-0231", "x": 1}', "WS-FIN-0231"),
    ("username", "User: CORP\\jdoe", "CORP\\jdoe"),
    ("username", '{"user": "CORP\\\\jdoe"}', "CORP\\\\jdoe"),
    ("username", '"TargetUserName": "jsmith"', "jsmith"),
    ("username", "login user=alice.w from", "alice.w"),
    ("upn", '"userPrincipalName": "jane.doe@contoso.com"', "jane.doe@contoso.com"),
    ("upn", "UserName: bob@corp.local", "bob@corp.local"),
    ("mac_address", "mac 00:1a:2b:3c:4d:5e", "00:1a:2b:3c:4d:5e"),
    ("mac_address", "MAC=00-1A-2B-3C-4D-5E", "00-1A-2B-3C-4D-5E"),
    ("mac_address", "cisco 001a.2b3c.4d5e up", "001a.2b3c.4d5e"),
    # issue 14, Azure: Entra ID client secrets, DevOps PATs, registry keys, keys in code, SAS orders
    ("azure_entra_client_secret", 'ClientSecret = "Vx38Q~kT2.bnM4_qZr7Yw1-eLp6oHs9dJfA3uGc~"', "Vx38Q~kT2.bnM4_qZr7Yw1-eLp6oHs9dJfA3uGc~"),
    ("azure_entra_client_secret", "AZURE_CLIENT_SECRET=q2W7Q~pL0mN9bV8cX7zA6sD5fG4hJ3kL2qW1eR0t", "q2W7Q~pL0mN9bV8cX7zA6sD5fG4hJ3kL2qW1eR0t"),
    ("azure_devops_pat", "git -c http.extraheader='AUTHORIZATION: basic' pat=w4kdyq2r6oj3z7ab5tmnx2c4vgl6hs5pe7fiu3q2yrkda6nbtx4m", "w4kdyq2r6oj3z7ab5tmnx2c4vgl6hs5pe7fiu3q2yrkda6nbtx4m"),
    ("azure_devops_pat", f"AZDO_PAT={_AZDO84}", _AZDO84),
    ("azure_container_registry_key", f'docker login cr1.azurecr.io -u cr1 -p "{_ACR}"', _ACR),
    ("azure_container_registry_key", f"acr_password: {_ACR_OLD}", _ACR_OLD),
    ("azure_storage_account_key", f'var key = "{_KEY88}";', _KEY88),
    ("azure_storage_account_key", f"AccountName=stprod01;AccountKey={_KEY88}", _KEY88),
    ("azure_sas_token", "https://st1.blob.core.windows.net/c/a.txt?sp=r&st=2024-01-01T00:00Z&se=2030-01-01T00:00Z&sip=10.1.2.3&sv=2022-11-02&sr=b&sig=Z%2FRHIX5Xcg0Mq2rqI3OlWTjEg2tYkboXr1P9ZUXDtkk%3D",
     "Z%2FRHIX5Xcg0Mq2rqI3OlWTjEg2tYkboXr1P9ZUXDtkk%3D"),
    ("azure_sas_token", 'SAS="sig=Z%2FRHIX5Xcg0Mq2rqI3OlWTjEg2tYkboXr1P9ZUXDtkk%3D&sv=2022-11-02&sp=rl"', "Z%2FRHIX5Xcg0Mq2rqI3OlWTjEg2tYkboXr1P9ZUXDtkk%3D"),
    # issue 14, assignments in the syntaxes of Go, PHP, Java, Make, XML and typed code
    ("password_assignment", 'dbPassword := "Xk9pQ2mN7vR4"', "Xk9pQ2mN7vR4"),
    ("password_assignment", 'var password string = "Xk9pQ2mN7vR4"', "Xk9pQ2mN7vR4"),
    ("password_assignment", '$password .= "Xk9pQ2mN7vR4";', "Xk9pQ2mN7vR4"),
    ("password_assignment", 'System.setProperty("javax.net.ssl.keyStorePassword", "Xk9pQ2mN7vR4");', "Xk9pQ2mN7vR4"),
    ("password_assignment", "DB_PASSWORD ::= Xk9pQ2mN7vR4", "Xk9pQ2mN7vR4"),
    ("password_assignment", 'password: str = "Xk9pQ2mN7vR4"', "Xk9pQ2mN7vR4"),
    ("password_assignment", "<password>\n    Xk9pQ2mN7vR4\n  </password>", "Xk9pQ2mN7vR4"),
    ("password_assignment", '<add key="DbPassword" value="Xk9pQ2mN7vR4" />', "Xk9pQ2mN7vR4"),
    ("password_assignment", 'passphrase = "correct horse battery staple"', "correct horse battery staple"),
    ("generic_secret_assignment", "API_TOKEN :::= 9f8e7d6c5b4a39281716a5b4c3d2e1f0", "9f8e7d6c5b4a39281716a5b4c3d2e1f0"),
    ("generic_secret_assignment", "SECRET_KEY ?= 9f8e7d6c5b4a39281716a5b4c3d2e1f0", "9f8e7d6c5b4a39281716a5b4c3d2e1f0"),
    ("generic_secret_assignment", "<apiKey>\n  9f8e7d6c5b4a39281716a5b4c3d2e1f0\n</apiKey>", "9f8e7d6c5b4a39281716a5b4c3d2e1f0"),
    ("generic_secret_assignment", 'const apiKey: string = "9f8e7d6c5b4a39281716a5b4c3d2e1f0"', "9f8e7d6c5b4a39281716a5b4c3d2e1f0"),
    # issue 14, tokens
    ("jwt", f"token {_JWT[:20]}\r\n{_JWT[20:]}", f"{_JWT[:20]}\r\n{_JWT[20:]}"),
    ("jwt", f"id_token={_JWT_NONE} next", _JWT_NONE),
    ("jwt", f"id_token={_JWT_NONE}.\nNext line", _JWT_NONE + "."),
    ("slack_webhook_url", "http://hooks.slack.com/services/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", "http://hooks.slack.com/services/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"),
    ("slack_webhook_url", "url=https://hooks.slack.com/workflows/T0A1B2C3D/A04KJ2L3M/412345678901234567/aB3dE5gH7jK9mN1pQ3sT5vW7", "https://hooks.slack.com/workflows/T0A1B2C3D/A04KJ2L3M/412345678901234567/aB3dE5gH7jK9mN1pQ3sT5vW7"),
    ("stripe_key", "rk_prod_51H8xYzAbCdEfGhIjKlMnOpQr", "rk_prod_51H8xYzAbCdEfGhIjKlMnOpQr"),
    ("stripe_key", "STRIPE=rk_test_51H8xYzAbCdEfGhIjKlMnOpQr", "rk_test_51H8xYzAbCdEfGhIjKlMnOpQr"),
    ("aws_bedrock_api_key", f"AWS_BEARER_TOKEN_BEDROCK={_BEDROCK}", _BEDROCK),
    ("credential_in_url", "REDIS_URL=redis://:Xk9pQ2mN7vR4@cache.corp.local:6379/0", ":Xk9pQ2mN7vR4"),
    ("gitlab_token", "glrt-t1_aB3dE5gH7jK9mN1pQ3sT5", "glrt-t1_aB3dE5gH7jK9mN1pQ3sT5"),
    ("gitlab_token", "--registration-token GR1348941aB3dE5gH7jK9mN1pQ3sT5", "GR1348941aB3dE5gH7jK9mN1pQ3sT5"),
    ("gitlab_token", "CI_JOB_TOKEN=glcbt-64_aB3dE5gH7jK9mN1pQ3sT5", "glcbt-64_aB3dE5gH7jK9mN1pQ3sT5"),
    ("gitlab_token", "gldt-aB3dE5gH7jK9mN1pQ3sT", "gldt-aB3dE5gH7jK9mN1pQ3sT"),
    ("gitlab_token", "glsoat-aB3dE5gH7jK9mN1pQ3sT", "glsoat-aB3dE5gH7jK9mN1pQ3sT"),
    ("npm_token", "//registry.npmjs.org/:_authToken=0bd1ad5c-3c2f-4d6a-9f0e-7b6e8c5d4a3f", "0bd1ad5c-3c2f-4d6a-9f0e-7b6e8c5d4a3f"),
    ("npm_token", "registry=https://npm.corp.example/\n_auth=YWxpY2U6UzNjcjN0IQ==\n", "YWxpY2U6UzNjcjN0IQ=="),
    ("pypi_token", "[testpypi]\nusername = __token__\npassword = pypi-AgENdGVzdC5weXBpLm9yZwIkYjZmMTk0ZjgtZjQyYi00ZDNjLTk4ODMtNjQ3MGI4ZmQ1YWJiAAIqWzMsImEy", "pypi-AgENdGVzdC5weXBpLm9yZwIkYjZmMTk0ZjgtZjQyYi00ZDNjLTk4ODMtNjQ3MGI4ZmQ1YWJiAAIqWzMsImEy"),
    ("openai_api_key", f"OPENAI_API_KEY={_OPENAI_PROJ}", _OPENAI_PROJ),
    ("huggingface_token", "HF_TOKEN=hf_aBcDeFgHiJkLmNoPqRsTuVwXyZaBcDeFgH", "hf_aBcDeFgHiJkLmNoPqRsTuVwXyZaBcDeFgH"),
    ("groq_api_key", "GROQ_API_KEY=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", "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"),
    ("password_assignment", "ADMIN_PASS ?= Xk9pQ2mN7vR4", "Xk9pQ2mN7vR4"),
    ("password_assignment", 'os.environ["DB_PASSWORD"] = "Xk9pQ2mN7vR4"', "Xk9pQ2mN7vR4"),
    ("password_assignment", "CREATE USER 'app'@'%' IDENTIFIED BY 'Xk9p Q2mN7vR4';", "Xk9p Q2mN7vR4"),
    ("password_assignment", "SET PASSWORD FOR 'app'@'%' = 'Xk9pQ2mN7vR4';", "Xk9pQ2mN7vR4"),
    ("generic_secret_assignment", "SECRET_KEY_BASE=4ed23765d597e2b1291e855de3549b86eda43a45", "4ed23765d597e2b1291e855de3549b86eda43a45"),
    ("credential_in_url", "amqp://guest:WOt^me28mn#VLc?Tsx@rabbit:5672/", "guest:WOt^me28mn#VLc?Tsx"),
    # A sig that is no 32-byte HMAC still counts beside sv/se/sp, before or after it.
    ("azure_sas_token", "?sv=2022-11-02&ss=b&sp=rl&se=2030-01-01&sig=abcdefghijklmnopqrstuvwxyz0123&x=1", "abcdefghijklmnopqrstuvwxyz0123"),
    ("azure_sas_token", "sig=abcdefghijklmnopqrstuvwxyz0123&se=2030-01-01&sp=r", "abcdefghijklmnopqrstuvwxyz0123"),
    ("password_assignment", 'password: "the quick brown fox"', "the quick brown fox"),
]  # fmt: skip

NEGATIVE: list[tuple[str, str]] = [
    ("aws_access_key_id", "id AKIAIOSFODNN7EXAMPL end"),  # 19 characters
    ("aws_access_key_id", "id AKIAIOSFODNN7EXAMPLEX end"),  # 21 characters
    ("aws_access_key_id", "id XAKIAIOSFODNN7EXAMPLE end"),
    ("aws_access_key_id", "id AKIA1OSFODNN7EXAMPLE end"),  # 1 is not base32
    ("aws_access_key_id", "region asiapacificoperation end"),  # a word, not a lower-cased id
    ("aws_secret_access_key", "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKE"),
    ("aws_secret_access_key", "value wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY alone"),
    ("aws_secret_access_key", "aws_secret_access_key = aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"),
    ("gcp_service_account_key", '"private_key_id": "f4c2a1b0e9d8c7b6a5f4e3d2c1b0a9f8e7d6c5b"'),
    ("gcp_api_key", "key=AIzaSyDaGmWKa4JsXZ-HjGw7ISLn_3namBGewQ"),
    ("azure_storage_account_key", "storage_key = " + _KEY88[:-3] + "=="),
    ("azure_sas_token", "https://x/y?sig=notbase64notbase64notbase64notbase64notbase64"),
    ("github_token", "ghp_R8aQ2mK9vL4nP7sT1wX5yZ3bC6dF0gH2jK4"),
    ("github_token", "ghx_R8aQ2mK9vL4nP7sT1wX5yZ3bC6dF0gH2jK4l"),
    ("gitlab_token", "glpat-xK9mP2vL7nQ4rT8wY1z"),
    ("slack_token", "xoxb-1234"),
    ("stripe_key", "sk_live_short"),
    (
        "private_key",
        "-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAu1SU1L\n-----END PUBLIC KEY-----",
    ),
    (
        "private_key",
        "-----BEGIN CERTIFICATE-----\nMIIDdzCCAl+gAwIBAgIEAgAAuTANBgkqhkiG9w0BAQUFADBa\n-----END CERTIFICATE-----",
    ),
    ("jwt", "eyJzdWIiOiIxMjM0NTY3ODkwIn0.eyJzdWIiOiIxMjM0NTY3ODkwIn0.abc"),  # header has no alg/typ
    ("credential_in_url", "https://user:${DB_PASSWORD}@host.example.com/"),
    ("credential_in_url", "https://host.example.com:8080/path"),
    ("credential_in_url", "https://user@host.example.com/"),
    ("credential_in_url", "https://user:********@host.example.com/"),
    ("password_in_command_line", "mysql -u root -p appdb"),  # -p alone prompts; appdb is a database
    ("password_in_command_line", "net user bob /delete"),
    ("password_in_command_line", "net user bob * /add"),
    ("password_in_command_line", "mysqldump --password=$DB_PASS x"),
    ("password_in_command_line", "vault --password-file /etc/pw"),
    ("password_in_command_line", "mysql -u root -P 3306"),
    ("password_assignment", "password=password"),
    ("password_assignment", "password: changeme"),
    ("password_assignment", "password_policy=strict"),
    ("password_assignment", "password: ********"),
    ("password_assignment", "password=${PASS}"),
    ("password_assignment", '"password": null'),
    ("generic_secret_assignment", "token=null"),
    ("generic_secret_assignment", "api_key=<your-api-key>"),
    ("generic_secret_assignment", "secret=default_value_here"),
    ("generic_secret_assignment", "token=aaaaaaaaaaaaaaaaaaaa"),
    ("generic_secret_assignment", "token_type=Bearer expires_in=3600"),
    ("bearer_token", 'WWW-Authenticate: Bearer realm="api"'),
    ("bearer_token", "Bearer abc"),
    ("basic_auth_header", "Authorization: Basic aGVsbG8="),  # "hello": no user:password
    ("email", "user@localhost"),
    ("email", "a@b.c"),
    ("email", "foo@bar"),
    ("phone", "call 123-456-7890"),  # area codes never start with 1
    ("phone", "ext 555-0143"),
    ("phone", "GMT+1 5551"),
    ("phone", "ip 10.202.555.0143"),
    ("phone", "call 211-555-0143"),  # N11 is a service code
    ("us_ssn", "000-12-3456"),
    ("us_ssn", "666-12-3456"),
    ("us_ssn", "912-34-5678"),
    ("us_ssn", "536-00-1234"),
    ("us_ssn", "536-22-0000"),
    ("us_ssn", "078-05-1120"),  # the SSA's advertising number
    ("us_ssn", "order 536221234"),  # no dashes and no SSN context
    ("credit_card", "card 4111111111111112"),  # fails Luhn
    ("credit_card", "id 1234567812345670"),  # passes Luhn, no issuer starts with 1
    ("credit_card", "cc 4111 1111-1111 1111"),  # mixed separators
    ("credit_card", "ts 41111111111111110"),  # Visa has no 17-digit numbers
    ("iban", "DE89370400440532013001"),  # bad check digits
    ("iban", "DE8937040044053201300"),  # one character short for DE
    ("iban", "XX89370400440532013000"),  # no such country
    ("ipv4_internal", "dns 8.8.8.8"),
    ("ipv4_internal", "peer 172.32.0.1"),
    ("ipv4_internal", "peer 192.169.0.1"),
    ("ipv4_internal", "lo 127.0.0.1"),
    ("ipv4_internal", "bad 10.0.0.256"),
    ("ipv4_internal", "version 1.10.0.0.1"),
    ("ipv4_internal", "oid 10.1.2.3.4"),
    ("ipv6_internal", "doc 2001:db8::1"),
    ("ipv6_internal", "ll fe80::1"),
    ("ipv6_internal", "mac 00:1a:2b:3c:4d:5e"),
    ("hostname_internal", "www.example.com"),
    ("hostname_internal", "host.local.example.com"),
    ("hostname_internal", "corp.localhost"),
    ("hostname_internal", "x.local-cloud.com"),
    ("hostname_internal", '"ComputerName": "localhost"'),
    ("username", "HKLM\\SOFTWARE\\Microsoft\\Windows"),
    ("username", "by NT AUTHORITY\\SYSTEM"),
    ("username", "C:\\Windows\\System32\\cmd.exe"),
    ("username", '{"user": "-"}'),
    ("username", '"msg": "ERROR\\nStack trace follows"'),
    ("upn", "mail jane.doe@contoso.com"),  # an e-mail, not in a user field
    ("mac_address", "00:00:00:00:00:00"),
    ("mac_address", "ff:ff:ff:ff:ff:ff"),
    ("mac_address", "00:1a:2b:3c:4d"),
    ("mac_address", "00:1a:2b:3c:4d:5e:6f"),
    # issue 14: placeholders in a token's shape, and look-alikes of the new kinds
    ("github_token", "GH_TOKEN=ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"),
    ("gitlab_token", "PRIVATE-TOKEN: glpat-XXXXXXXXXXXXXXXXXXXX"),
    ("slack_token", "SLACK_BOT_TOKEN=xoxb-xxxxxxxxxxxx-xxxxxxxxxxxxx-xxxxxxxxxxxxxxxxxxxxxxxx"),
    ("aws_access_key_id", "aws_access_key_id = AKIAXXXXXXXXXXXXXXXX"),
    ("gcp_api_key", "key=AIzaSyAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"),
    ("stripe_key", "sk_live_your_stripe_secret_key_here_123"),
    (
        "private_key",
        "-----BEGIN RSA PRIVATE KEY-----\n<your private key here>\n-----END RSA PRIVATE KEY-----",
    ),
    ("private_key", "-----BEGIN OPENSSH PRIVATE KEY-----\n...\n-----END OPENSSH PRIVATE KEY-----"),
    (
        "private_key",
        "-----BEGIN PRIVATE KEY-----\nXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX\n-----END PRIVATE KEY-----",
    ),
    ("jwt", "eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0garbage\nnext"),
    ("azure_storage_account_key", f'"integrity": "sha512-{_KEY88}"'),
    ("azure_devops_pat", "a" * 26 + "b" * 26),
    ("azure_devops_pat", "id abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz2"),
    ("azure_entra_client_secret", "path a/b/c8Q~ is short"),
    ("azure_container_registry_key", "x+ACR"),
    ("aws_bedrock_api_key", "ABSKXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"),
    ("npm_token", "self._auth = auth_header_value"),
    ("npm_token", "//registry.npmjs.org/:_authToken=${NPM_TOKEN}"),
    ("password_assignment", 'password: "Enter your password"'),
    ("credential_in_url", "redis://:${REDIS_PASSWORD}@cache:6379"),
    ("password_assignment", "bypass=Xk9pQ2mN7vR4"),
    ("username", "Authorization: Basic <base64(user:pass)>"),
    ("credential_in_url", "https://example.com?email=a@b.com"),
    ("password_assignment", 'password: "must be 8 characters"'),
]
