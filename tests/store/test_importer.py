import shutil
from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import sessionmaker

from store import models
from store.importer import import_path, main
from store.repository import PaymentsRepository
from store.views import failed_instalments, next_instalment
from tests.store.helpers import must

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "import"
NOW = datetime(2026, 12, 1, tzinfo=timezone.utc)


def _count_orders(session_factory: sessionmaker) -> int:
    with session_factory() as session:
        return int(session.execute(select(func.count()).select_from(models.Order)).scalar_one())


def test_json_import_is_what_the_repository_returns(store_session_factory):
    report = import_path(FIXTURES / "good.json", store_session_factory, now=NOW)
    assert report.ok, report.problems
    assert report.written
    repo = PaymentsRepository(store_session_factory)
    order = must(repo.get_order("acme_c_1001", "a-77812"))
    assert (order.merchant_name, order.currency, order.total) == (
        "Acme Furnishings",
        "GBP",
        Decimal("480.00"),
    )
    assert order.placed_at == datetime(2026, 10, 1, 9, 0, tzinfo=timezone.utc)
    assert [i.unit_price for i in order.items] == [Decimal("420.00"), Decimal("30.00")]
    assert [i.failure_code for i in failed_instalments(order)] == ["card_expired"]
    assert must(next_instalment(order, date(2026, 12, 1))).due_date == date(2030, 11, 12)
    assert [p.instalment_sequence for p in order.payments] == [1, 3]
    # Numeric refs are stored the way customers' typed numbers are normalised.
    anon = must(repo.get_order_by_email("#500100", "TOMAS@example.org"))
    assert anon.total == Decimal("59.90")
    assert [(r.refund_ref, r.expected_by) for r in anon.refunds] == [
        ("ACME-RF-9", date(2026, 10, 10))
    ]
    assert [(d.dispute_ref, d.amount) for d in anon.disputes] == [("ACME-DS-3", None)]
    assert repo.get_order("acme_c_1002", "A-77812") is None
    assert must(repo.get_customer("acme_c_1002")).created_at == NOW  # default when not exported


def test_flat_csv_import(store_session_factory):
    report = import_path(FIXTURES / "good.csv", store_session_factory)
    assert report.ok, report.problems
    assert report.counts["instalment"] == 3
    assert report.counts["customer"] == 2
    repo = PaymentsRepository(store_session_factory)
    order = must(repo.get_order("shop_c_1", "ORD-700001"))
    assert must(order.plan).kind == "pay_in_3"
    assert [(i.status, i.late_fee) for i in must(order.plan).instalments] == [
        ("paid", Decimal("0.00")),
        ("overdue", Decimal("5.00")),
        ("scheduled", Decimal("0.00")),
    ]
    nok = must(repo.get_order_by_email("ORD-700002", "ola@example.no"))
    assert (nok.currency, nok.total, nok.plan) == ("NOK", Decimal("1499.00"), None)


def test_csv_directory_import(store_session_factory):
    report = import_path(FIXTURES / "good_dir", store_session_factory)
    assert report.ok, report.problems
    repo = PaymentsRepository(store_session_factory)
    order = must(repo.get_order("dir_c_1", "bb-2041"))
    assert order.items[0].description == "City e-bike, 48 cm"
    assert must(order.plan).created_at == order.placed_at
    assert order.payments[0].failure_code == "do_not_honor"
    assert [d.dispute_ref for d in order.disputes] == ["BB-DS-1"]
    cancelled = must(repo.get_order("dir_c_1", "BB-2042"))
    assert cancelled.refunds[0].completed_at == datetime(2026, 8, 6, 10, tzinfo=timezone.utc)


BAD_JSON = [
    ("customers[1] (line 4)", "missing required field 'email'"),
    ("customers[2] (line 5)", "duplicate customer_ref 'acme_c_1'"),
    ("merchants[0] (line 8)", "field 'support_url'"),
    ("orders[0] (line 11)", "field 'currency': not an ISO 4217"),
    ("orders[0] (line 11)", "field 'placed_at': timestamp needs a UTC offset"),
    ("orders[1] (line 16)", "field 'status': must be one of"),
    ("orders[1] (line 16)", "field 'total'"),
    ("orders[2].plan.instalments[0] (line 25)", "a paid instalment needs paid_at"),
    ("orders[2].plan.instalments[1] (line 26)", "field 'due_date'"),
    ("orders[2].refunds[0] (line 29)", "unknown field 'colour'"),
    ("orders[3] (line 32)", "customer_ref 'acme_c_404' is not in the file or the database"),
    ("orders[3].plan (line 35)", "instalments add up to 60.00, plan total is 50.00"),
    ("orders[3].refunds[0] (line 40)", "refund currency differs"),
    ("orders[3].refunds[0] (line 40)", "refund amount 80.00 exceeds the order total 50.00"),
]
BAD_CSV = [
    ("bad.csv line 3", "order 'ORD-700001': total differs from line 2"),
    ("bad.csv line 3", "field 'amount'"),
    ("bad.csv line 4", "status failed needs a failure_code"),
    ("bad.csv line 5", "field 'email': not an email address"),
    ("bad.csv line 5", "field 'total'"),
    ("bad.csv line 5", "field 'placed_at'"),
]
BAD_DIR = [
    ("order_items.csv line 1", "unknown column 'weight'"),
    ("refunds.csv line 2", "order_ref 'BB-404' is not an order in this file"),
    ("orders.csv line 2", "customer_ref 'nobody' is not in the file or the database"),
    ("orders.csv line 2", "merchant_ref 'nomerchant' is not in the file or the database"),
]


@pytest.mark.parametrize(
    ("name", "expected"), [("bad.json", BAD_JSON), ("bad.csv", BAD_CSV), ("bad_dir", BAD_DIR)]
)
def test_bad_files_report_every_problem_and_import_nothing(store_session_factory, name, expected):
    report = import_path(FIXTURES / name, store_session_factory)
    found = [(p.where, p.message) for p in report.problems]
    for where, fragment in expected:
        assert any(w == where and fragment in m for w, m in found), (where, fragment, found)
    assert len(found) == len(expected), found
    assert not report.written
    assert _count_orders(store_session_factory) == 0


@pytest.mark.parametrize(
    ("text", "where", "fragment"),
    [
        ('{"customers": [}', "line 1, column 16", "invalid JSON"),
        ("[]", "line 1", "must be an object"),
        ('{"customers": {}}', "customers", "must be a list"),
        ('{"orders": [1]}', "orders[0]", "must be an object"),
        ('{"shops": []}', "$ (line 1)", "unknown top-level key 'shops'"),
        (
            '{"customers": [{"customer_ref": "a", "customer_ref": "b", "name": "n", '
            '"email": "e@x.io"}]}',
            "customers[0] (line 1)",
            "appears more than once",
        ),
        (
            '{"merchants": [{"merchant_ref": "m", "name": 5}]}',
            "merchants[0] (line 1)",
            "expected text",
        ),
        (
            '{"orders": [{"order_ref": "1234", "plan": []}]}',
            "orders[0] (line 1)",
            "'plan' must be an object",
        ),
    ],
)
def test_malformed_json_is_located(tmp_path, store_session_factory, text, where, fragment):
    path = tmp_path / "x.json"
    path.write_text(text)
    report = import_path(path, store_session_factory)
    assert any(p.where == where and fragment in p.message for p in report.problems), report.problems


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("45.50", True),
        (45.5, True),
        (45, True),
        ("45.5", True),
        ("45.505", False),
        (-1, False),
        ("1,200.00", False),
        ("€45", False),
        (True, False),
        ("NaN", False),
        ("1e3", False),
    ],
)
def test_amount_rules(tmp_path, store_session_factory, value, ok):
    import json

    doc = {
        "customers": [{"customer_ref": "c", "name": "n", "email": "c@example.com"}],
        "merchants": [{"merchant_ref": "m", "name": "m"}],
        "orders": [
            {
                "order_ref": "ORD-100001",
                "customer_ref": "c",
                "merchant_ref": "m",
                "status": "placed",
                "currency": "EUR",
                "total": value,
                "placed_at": "2026-12-01T10:00:00Z",
            }
        ],
    }
    path = tmp_path / "amount.json"
    path.write_text(json.dumps(doc))
    report = import_path(path, store_session_factory)
    assert report.ok is ok, report.problems


def test_existing_refs_are_refused_without_replace(store_session_factory):
    assert import_path(FIXTURES / "good.json", store_session_factory).ok
    again = import_path(FIXTURES / "good.json", store_session_factory)
    messages = [str(p) for p in again.problems]
    assert any(
        "order_ref 'A-77812' already exists in the database (use --replace" in m for m in messages
    )
    assert any("customer_ref 'acme_c_1001' already exists" in m for m in messages)
    assert any("refund_ref 'ACME-RF-9' already exists on order ORD-500100" in m for m in messages)
    assert _count_orders(store_session_factory) == 2


def test_replace_overwrites_orders_and_updates_customers(tmp_path, store_session_factory):
    assert import_path(FIXTURES / "good.json", store_session_factory).ok
    changed = tmp_path / "changed.json"
    changed.write_text(
        (FIXTURES / "good.json")
        .read_text()
        .replace("Priya Shah", "Priya Shah-Jones")
        .replace(
            '"status": "processing"',
            '"status": "completed", "completed_at": "2026-10-05T10:00:00Z"',
        )
    )
    report = import_path(changed, store_session_factory, replace=True)
    assert report.ok, report.problems
    repo = PaymentsRepository(store_session_factory)
    assert must(repo.get_customer("acme_c_1001")).name == "Priya Shah-Jones"
    order = must(repo.get_order("acme_c_1002", "ORD-500100"))
    assert [r.status for r in order.refunds] == ["completed"]
    assert len(order.disputes) == 1
    assert _count_orders(store_session_factory) == 2


def test_orders_may_reference_customers_already_in_the_database(
    tmp_path, payments_repository, store_session_factory
):
    path = tmp_path / "orders.json"
    path.write_text(
        '{"orders": [{"order_ref": "ORD-200001", "customer_ref": "cus_bob", '
        '"merchant_ref": "mer_lumen", "status": "placed", "currency": "GBP", '
        '"total": "10.00", "placed_at": "2026-12-01T10:00:00Z"}]}'
    )
    assert import_path(path, store_session_factory).ok
    assert payments_repository.get_order("cus_bob", "ORD-200001") is not None


def test_dry_run_writes_nothing(store_session_factory):
    report = import_path(FIXTURES / "good.json", store_session_factory, dry_run=True)
    assert report.ok
    assert not report.written
    assert report.counts["order"] == 2
    assert _count_orders(store_session_factory) == 0


def test_cli_exit_codes_and_output(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    assert main([str(FIXTURES / "bad.csv"), "--database-url", url]) == 1
    err = capsys.readouterr().err
    assert "ERROR bad.csv line 5: field 'email': not an email address" in err
    assert "6 problem(s) in" in err
    assert "nothing was imported" in err
    assert err.index("line 3") < err.index("line 5")  # reported top to bottom
    assert main([str(FIXTURES / "good.csv"), "--database-url", url, "--dry-run"]) == 0
    assert "Would import" in capsys.readouterr().out
    assert main([str(FIXTURES / "good.csv"), "--database-url", url]) == 0
    assert "Imported" in capsys.readouterr().out
    assert main([str(tmp_path / "missing.json"), "--database-url", url]) == 2
    other = tmp_path / "data.xml"
    shutil.copy(FIXTURES / "good.csv", other)
    assert main([str(other), "--database-url", url]) == 1
    assert "unsupported file type" in capsys.readouterr().err


def test_cli_reports_an_unreachable_database(tmp_path, capsys):
    url = f"postgresql+psycopg2://nobody@/x?host={tmp_path}&port=1"
    assert main([str(FIXTURES / "good.csv"), "--database-url", url]) == 2
    assert "database unavailable" in capsys.readouterr().err
