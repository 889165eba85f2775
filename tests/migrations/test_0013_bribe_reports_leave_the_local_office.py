"""Migration 0013: old complaints whose words report a demand for money leave the local office."""

from sqlalchemy import text

from foundation.db import database
from sahayata import migrate

# id, category, text, status, tier, office level, also concerned, assigned officer
BEFORE = [
    (1, "amount_short", "মেম্বার ৫০০ টাকা চেয়েছে", "acknowledged", 1, "upazila", None, 7),
    (2, "amount_short", "৫০০ টাকা কম দিয়েছে", "acknowledged", 1, "upazila", None, 7),
    (3, "amount_short", None, "routed", 1, "upazila", None, None),
    (4, "amount_short", "ghush chay", "closed", 1, "upazila", None, 7),
    (5, "amount_short", "they asked for money", "received", 1, None, None, None),
    (6, "other", "member taka chaise", "in_progress", 1, "upazila", None, 7),  # an SMS complaint
    (7, "payment_not_received", "ঘুষ ছাড়া ভাতা দেয় না", "routed", 1, "upazila", "FD", None),
    (8, "amount_short", "ঘুষ চেয়েছে", "in_progress", 2, "ministry_gro", None, 8),  # escalated: the GRO has it
    (9, "payment_not_received", "no money since July", "routed", 1, "upazila", "FD", None),
]


def _load_before(app) -> None:
    with database(app).engine.begin() as connection:
        connection.execute(
            text("INSERT INTO ministries (code, name_en, name_bn) VALUES ('MOSW', 'Social Welfare', 'সমাজকল্যাণ')")
        )
        connection.execute(text("INSERT INTO ministries (code, name_en, name_bn) VALUES ('FD', 'Finance', 'অর্থ')"))
        for staff_id, role in ((7, "officer"), (8, "gro")):
            connection.execute(
                text(
                    "INSERT INTO staff_users (id, email, name, password_hash, role, ministry_code, district_ids, "
                    "language, session_token) VALUES (:id, :email, 'x', 'x', :role, 'MOSW', '[]', 'en', :email)"
                ),
                {"id": staff_id, "email": f"{role}@example.org", "role": role},
            )
        for id_, category, words, status, tier, level, also, assigned in BEFORE:
            connection.execute(
                text(
                    "INSERT INTO grievances (id, tracking_number, phone_hash, category, text, channel, locale, "
                    "status, tier, ministry_code, office_level, also_ministry_code, assigned_to, created_at, "
                    "updated_at) VALUES (:id, :number, 'h', :category, :text, 'ussd', 'bn', :status, :tier, "
                    "'MOSW', :level, :also, :assigned, '2026-11-05 04:00:00+00', '2026-11-05 04:00:00+00')"
                ),
                {
                    "id": id_,
                    "number": f"10000000{id_}",
                    "category": category,
                    "text": words,
                    "status": status,
                    "tier": tier,
                    "level": level,
                    "also": also,
                    "assigned": assigned,
                },
            )


def _after(app):
    with database(app).engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT id, category, status, office_level, also_ministry_code, assigned_to FROM grievances ORDER BY id"
            )
        ).all()
        trail = connection.execute(
            text("SELECT grievance_id, actor, from_status, to_status, note FROM grievance_events ORDER BY grievance_id")
        ).all()
    return {row[0]: tuple(row[1:]) for row in rows}, trail


def test_0013_moves_complaints_that_report_a_demand_for_money_to_the_redress_officer(scratch_app):
    migrate.upgrade(scratch_app, "0012")
    _load_before(scratch_app)
    migrate.upgrade(scratch_app, "0013")
    rows, trail = _after(scratch_app)
    bribe = "bribe_or_harassment"
    assert rows == {
        # Taken up by the local officer: back to "routed", for the redress officer, unassigned.
        1: (bribe, "routed", "ministry_gro", None, None),
        2: ("amount_short", "acknowledged", "upazila", None, 7),  # an underpayment stays local
        3: ("amount_short", "routed", "upazila", None, None),  # no words: nothing to tell it by
        4: (bribe, "closed", "ministry_gro", None, 7),  # decided already: kept, for the GRO to review
        5: (bribe, "received", None, None, None),  # not routed yet: the router routes it as a bribe report
        6: (bribe, "routed", "ministry_gro", None, None),
        7: (bribe, "routed", "ministry_gro", None, None),  # no longer shown to the Finance Division
        8: (bribe, "in_progress", "ministry_gro", None, 8),  # escalated: the redress officer keeps it
        9: ("payment_not_received", "routed", "upazila", "FD", None),
    }
    assert [(g, actor, before, after) for g, actor, before, after, _ in trail] == [
        (1, "migration 0013", "acknowledged", "routed"),
        (4, "migration 0013", "closed", "closed"),
        (5, "migration 0013", "received", "received"),
        (6, "migration 0013", "in_progress", "routed"),
        (7, "migration 0013", "routed", "routed"),
        (8, "migration 0013", "in_progress", "in_progress"),
    ]
    assert trail[0][4].startswith("moved from amount_short: its text reports a demand for money")
    assert trail[3][4].startswith("moved from other:")


def test_0013_downgrade_leaves_bribe_reports_with_the_redress_officer(scratch_app):
    migrate.upgrade(scratch_app, "0012")
    _load_before(scratch_app)
    migrate.upgrade(scratch_app, "0013")
    migrate.downgrade(scratch_app, "0012")
    rows, _ = _after(scratch_app)
    assert rows[1] == ("bribe_or_harassment", "routed", "ministry_gro", None, None)
