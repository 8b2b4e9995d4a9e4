"""The simulated mail gateway: sender blocks with expiry, hard deletes counted once."""

from __future__ import annotations

import pytest

from affidavit.connectors import SimulatedEmail
from affidavit.connectors._tables import sim_email_blocks, sim_email_deleted_items
from affidavit.errors import InputError
from affidavit.store import Database
from tests.connectors._shared import Clock, make_request, rows


@pytest.fixture
def email(db: Database, clock: Clock) -> SimulatedEmail:
    return SimulatedEmail(db, clock=clock)


def test_block_sender_address_and_domain(email: SimulatedEmail, db: Database) -> None:
    by_address = email.execute(make_request("block_sender", "email:Eve@Phish.Example.COM"))
    assert by_address.detail["sender"] == "Eve@phish.example.com"
    assert by_address.detail["expires_at"] == "2027-01-16T08:00:00.000000Z"
    by_domain = email.execute(
        make_request("block_sender", "domain:phish.example.com", {"ttl_seconds": 600})
    )
    assert by_domain.detail["sender_kind"] == "domain"
    assert by_domain.external_ref
    assert by_domain.external_ref.startswith("mail-block-")
    again = email.execute(make_request("block_sender", "email:Eve@phish.example.com"))
    assert again.detail["previous"] == {"active_blocks": 1}
    assert len(rows(db, sim_email_blocks)) == 3


def test_delete_mailbox_items_counts_each_message_once(email: SimulatedEmail, db: Database) -> None:
    first = email.execute(
        make_request(
            "delete_mailbox_items",
            "mailbox:alice@corp.example",
            {"message_ids": ["<a@x>", "<b@x>"]},
        )
    )
    assert (first.detail["deleted"], first.detail["already_deleted"]) == (2, 0)
    second = email.execute(
        make_request(
            "delete_mailbox_items",
            "mailbox:alice@corp.example",
            {"message_ids": ["<b@x>", "<c@x>"]},
        )
    )
    assert (second.detail["deleted"], second.detail["already_deleted"]) == (1, 1)
    deleted = rows(db, sim_email_deleted_items, mailbox="alice@corp.example")
    assert sorted(r["message_id"] for r in deleted) == ["<a@x>", "<b@x>", "<c@x>"]


def test_a_large_deletion_keeps_the_result_small(email: SimulatedEmail, db: Database) -> None:
    ids = [f"<{n}-{'x' * 200}@mail.example>" for n in range(2000)]
    result = email.execute(
        make_request("delete_mailbox_items", "mailbox:bob", {"message_ids": ids})
    )
    assert result.detail["deleted"] == 2000
    assert len(rows(db, sim_email_deleted_items, mailbox="bob")) == 2000
    assert len(str(result.to_json())) < 500


@pytest.mark.parametrize(
    ("action", "target", "params", "message"),
    [
        ("block_sender", "email:no-at-sign", {}, "email address"),
        ("block_sender", "email:a b@x.example", {}, "email address"),
        ("block_sender", "email:@x.example", {}, "email address"),
        ("block_sender", "mailbox:bob", {}, "applies to domain, email targets"),
        ("delete_mailbox_items", "mailbox:bob", {}, "message_ids"),
        ("delete_mailbox_items", "mailbox:bob", {"message_ids": []}, "message_ids"),
        ("delete_mailbox_items", "mailbox:bob", {"message_ids": ["<a>", "<a>"]}, "more than once"),
        ("delete_mailbox_items", "mailbox:bob", {"message_ids": ["x" * 999]}, "limit is 998"),
        ("wipe_host", "host:pc-1", {}, "cannot run action wipe_host"),
    ],
)
def test_requests_the_mail_gateway_cannot_serve(
    email: SimulatedEmail, action: str, target: str, params: dict[str, object], message: str
) -> None:
    with pytest.raises(InputError, match=message):
        email.execute(make_request(action, target, params))
