"""The whole case on one page: the citizen and their registry facts, the conversation apart
from internal notes, the audit trail, in the officer's language and Dhaka's time, in a fixed
number of queries."""

from __future__ import annotations

import datetime as dt
import html
import re
from decimal import Decimal

from sqlalchemy import event, select

from foundation.db import database
from foundation.masking import mask_nid
from grievance.actions import Action, apply_action
from grievance.intake import file_grievance
from grievance.jobs import route_grievance
from grievance.models import Category, Grievance, GrievanceEvent, Status
from notices.notifications import deliver_complaint_updates, deliver_questions
from outbound_sms.models import Message, MessageStatus
from outbound_sms.opt_outs import record_opt_out
from outbound_sms.receipts import apply_receipt
from registry.case_facts import LAST_PAYMENTS
from registry.models import PaymentStatus, Redemption, RedemptionChannel, RedemptionStatus
from registry.places import place_index
from staff import cases
from staff.models import StaffAudit
from tests.factories import make_citizen, make_enrolment, make_filing, make_payment, make_staff
from tests.redemption_support import funded_wallet, make_outlet

PHONE = "+8801712345678"


def section(page: str, name: str) -> str:
    found = re.search(rf'<section id="{name}".*?</section>', page, re.S)
    assert found, f"no section {name}"
    return found.group(0)


def texts(fragment: str, css_class: str = "sms") -> list[str]:
    """The texts of the elements of this class, as the browser shows them."""
    return [html.unescape(t) for t in re.findall(rf'<p class="{css_class}">(.*?)</p>', fragment, re.S)]


def visible(fragment: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def case_page(client, grievance) -> str:
    response = client.get(f"/staff/cases/{grievance.tracking_number}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def filed(session, citizen=None, **changes) -> Grievance:
    filing = make_filing(citizen_id=citizen.id if citizen else None, **changes)
    grievance = file_grievance(session, filing).grievance
    route_grievance(grievance.id)
    session.refresh(grievance)
    return grievance


def citizen_with_history(session, payments=8, redemptions=2):
    """A citizen of Cumilla with the old age allowance (``payments`` monthly payments, the
    newest failed), a rice wallet and ``redemptions`` hand-overs of rice."""
    citizen = make_citizen(session, mobile=PHONE, district="Cumilla")
    make_enrolment(session, citizen, "OAA", account_number="01712345678")
    start = dt.date(2026, 10, 1)
    for back in range(payments):
        month = (start.year * 12 + start.month - 1) - back
        year, month = divmod(month, 12)
        failed = back == 0
        make_payment(
            session,
            citizen,
            cycle=f"{year}-{month + 1:02d}",
            status=PaymentStatus.FAILED if failed else PaymentStatus.CREDITED,
            paid_on=None if failed else dt.date(year, month + 1, 12),
            failure_reason="account closed" if failed else None,
            txn_id=None if failed else f"T{citizen.id}-{back}",
        )
    session.commit()
    wallet = funded_wallet(session, citizen, "FFP", "30")
    outlet = make_outlet(session, name_en="Karim Rice Dealer", name_bn="করিম চাল ডিলার")
    for n in range(redemptions):
        at = dt.datetime(2026, 10, 1 + n, 4, 0, tzinfo=dt.UTC)
        session.add(
            Redemption(
                outlet_id=outlet.id,
                wallet_id=wallet.id,
                citizen_id=citizen.id,
                programme_code="FFP",
                quantity=Decimal(10),
                unit="kg rice",
                operator_mobile=outlet.operator_mobile,
                channel=RedemptionChannel.SMS,
                status=RedemptionStatus.COMPLETED,
                code_hash="0" * 64,
                code_expires_at=at + dt.timedelta(minutes=10),
                started_at=at,
                finished_at=at + dt.timedelta(minutes=2),
            )
        )
    session.commit()
    return citizen


# -- the citizen ---------------------------------------------------------------------------
def test_the_page_shows_the_citizen_their_place_programmes_last_payments_wallets_and_redemptions(
    staff_client, session, officer, no_dispatch
):
    citizen = citizen_with_history(session, payments=8)
    grievance = filed(session, citizen)
    page = case_page(staff_client(officer), grievance)
    facts = section(page, "citizen")
    places = place_index().places
    assert f'id="upazila">{places[("upazila", citizen.upazila_id)].name_en}<' in facts  # Debidwar
    assert 'id="district">Cumilla<' in facts
    assert mask_nid(citizen.nid) in facts and citizen.nid not in page
    enrolments = visible(re.search(r'<table id="enrolments">.*?</table>', facts, re.S).group(0))
    assert "Old Age Allowance" in enrolments and "active" in enrolments and "Nagad" in enrolments
    assert "OAA" not in enrolments and "01712345678" not in page  # names, not codes; the account masked
    rows = re.findall(r"<tr><td>(.*?)</tr>", re.search(r'<table id="payments">.*?</table>', facts, re.S).group(0))
    assert len(rows) == LAST_PAYMENTS == 5  # a handful, the newest
    months = [visible(row).split(" Tk ")[0].removeprefix("Old Age Allowance ") for row in rows]
    assert months == ["October 2026", "September 2026", "August 2026", "July 2026", "June 2026"]
    assert "Tk 600" in rows[0] and "failed" in rows[0] and "the account is closed" in rows[0]
    assert "credited, 12 Sept 2026" in visible(rows[1]) or "credited, 12 Sep 2026" in visible(rows[1])
    wallets = visible(re.search(r'<table id="wallets">.*?</table>', facts, re.S).group(0))
    assert "Food Friendly Programme" in wallets and "30 kg rice" in wallets
    redemptions = re.search(r'<table id="redemptions">.*?</table>', facts, re.S).group(0)
    assert visible(redemptions).count("Karim Rice Dealer") == 2 and "10 kg rice" in visible(redemptions)
    assert "handed over" in visible(redemptions)


def test_in_bangla_the_citizens_facts_are_named_in_bangla_with_bengali_digits(
    staff_client, session, officer, no_dispatch
):
    citizen = citizen_with_history(session, payments=2, redemptions=1)
    grievance = filed(session, citizen)
    client = staff_client(officer)
    client.post("/staff/language", {"language": "bn"})
    facts = visible(section(case_page(client, grievance), "citizen"))
    upazila = place_index().places[("upazila", citizen.upazila_id)].name_bn
    assert "কুমিল্লা" in facts and upazila in facts and "Cumilla" not in facts
    assert "বয়স্ক ভাতা" in facts and "Old Age Allowance" not in facts
    assert "৬০০ টাকা" in facts and "Tk" not in facts
    assert "৩০ কেজি চাল" in facts and "করিম চাল ডিলার" in facts
    assert "অক্টোবর ২০২৬" in facts and "2026" not in facts


def test_a_case_from_an_unregistered_caller_says_so(staff_client, session, officer, no_dispatch):
    grievance = filed(session, phone="+8801812345678")
    facts = section(case_page(staff_client(officer), grievance), "citizen")
    assert 'id="unregistered"' in facts and "Not in the registry" in facts
    assert 'id="payments"' not in facts and 'id="enrolments"' not in facts


def test_the_complaint_names_its_programme_and_ministry_not_their_codes(staff_client, session, officer, no_dispatch):
    grievance = filed(session, make_citizen(session, mobile=PHONE))
    client = staff_client(officer)
    page = case_page(client, grievance)
    assert 'id="complaint-programme">Old Age Allowance<' in page
    assert 'id="lead-ministry">Ministry of Social Welfare<' in page
    client.post("/staff/language", {"language": "bn"})
    page = case_page(client, grievance)
    assert 'id="complaint-programme">বয়স্ক ভাতা<' in page and "সমাজকল্যাণ মন্ত্রণালয়" in page


# -- the conversation, the notes, the audit trail ------------------------------------------
def test_the_conversation_shows_every_sms_sent_and_received_word_for_word_apart_from_internal_notes(
    staff_client, session, officer, no_dispatch
):
    from sms.replies import answer

    citizen = make_citizen(session, mobile=PHONE)
    session.commit()
    answer(session, PHONE, "COMPLAIN no money since July")  # filed by SMS
    grievance = session.scalars(select(Grievance).where(Grievance.citizen_id == citizen.id)).one()
    route_grievance(grievance.id)
    client = staff_client(officer)
    question = "Which union do you collect your allowance in?"
    assert (
        client.post(f"/staff/cases/{grievance.tracking_number}/act", {"action": "ask", "note": question}).status_code
        == 303
    )
    deliver_questions(grievance.id)
    answer(session, PHONE, f"INFO {grievance.tracking_number} Burichang union, since July")
    client.post(f"/staff/cases/{grievance.tracking_number}/act", {"action": "note", "note": "called the union office"})
    note = "Paid on 20 November through Nagad"
    client.post(f"/staff/cases/{grievance.tracking_number}/act", {"action": "resolve", "note": note})
    deliver_complaint_updates(grievance.id)
    answer(session, PHONE, "2")  # not resolved, says the citizen
    session.expire_all()
    sent = {m.template: m for m in session.scalars(select(Message).where(Message.template != "reply"))}
    apply_receipt(session, sent["information_request"], MessageStatus.DELIVERED, "")
    apply_receipt(session, sent["complaint_resolved"], MessageStatus.FAILED, "Kannel report 16: rejected by SMSC")

    appeal_officer = make_staff(session, "gro")  # the "2" sent the case to the appeal tier
    session.commit()
    page = case_page(staff_client(appeal_officer), grievance)
    conversation = section(page, "conversation")
    to_citizen = re.findall(r'<li class="to-citizen" data-status="(\w+)">(.*?)</li>', conversation, re.S)
    assert sorted(texts(body)[0] for _, body in to_citizen) == sorted(m.text for m in sent.values())
    status = {texts(body)[0]: state for state, body in to_citizen}
    assert status[sent["information_request"].text] == "delivered"
    assert status[sent["complaint_resolved"].text] == "failed"
    assert note in sent["complaint_resolved"].text  # the resolution SMS carried the note
    failed = next(body for state, body in to_citizen if state == "failed")
    assert "Kannel report 16: rejected by SMSC" in html.unescape(failed)
    from_citizen = re.findall(r'<li class="from-citizen">(.*?)</li>', conversation, re.S)
    said = [texts(body)[0] for body in from_citizen]
    assert said == ["no money since July", "Burichang union, since July", "2 (no: it is not resolved)"]
    assert all("SMS" in visible(body) for body in from_citizen)  # the channel each came by
    # Internal notes are apart; the question is in the conversation, not among the notes.
    notes = section(page, "internal-notes")
    assert "called the union office" in notes and "called the union office" not in conversation
    assert "asked the citizen" not in notes and question not in notes
    audit = visible(section(page, "audit"))
    assert f"{officer.name} (officer)" in audit
    for done in ("asked the citizen", "added an internal note", f"marked resolved: {note}"):
        assert done in audit
    timeline = visible(page.split('id="timeline"')[1].split("</ol>")[0])
    assert "the citizen · reopened: The citizen said it is not resolved." in timeline
    assert f"{officer.name} (officer) · resolved: {note}" in timeline


def test_the_same_complaint_told_again_is_in_the_conversation_and_the_filings_own_note_is_not(
    staff_client, session, no_dispatch
):
    citizen = make_citizen(session, mobile=PHONE)
    session.commit()
    text = "the union member asked for money to put me on the list"  # a bribe report, whatever was chosen
    grievance = filed(session, citizen, category=Category.AMOUNT_SHORT, text=text)
    again = file_grievance(session, make_filing(citizen_id=citizen.id, category=Category.AMOUNT_SHORT, text=text + "!"))
    assert again.duplicate and again.id == grievance.id
    redress_officer = make_staff(session, "gro")  # a bribe report is theirs alone
    session.commit()
    page = case_page(staff_client(redress_officer), grievance)
    said = [
        texts(body)[0]
        for body in re.findall(r'<li class="from-citizen">(.*?)</li>', section(page, "conversation"), re.S)
    ]
    assert said == [text, text + "!"]
    timeline = page.split('id="timeline"')[1].split("</ol>")[0]
    assert "wrote again" not in timeline and timeline.count("<li>") == 2  # filed, routed
    assert "treated as a bribe report" in timeline  # why it is a bribe report: the filing's note, in the status history


def test_a_notice_still_in_the_outbox_shows_as_waiting_and_a_silenced_one_as_not_sent(
    staff_client, session, officer, no_dispatch, monkeypatch
):
    grievance = filed(session, make_citizen(session, mobile=PHONE))
    monkeypatch.setattr(cases, "dispatch", lambda entries, **_: len(entries))  # no job runs
    client = staff_client(officer)
    client.post(f"/staff/cases/{grievance.tracking_number}/act", {"action": "ask", "note": "Since which month?"})
    page = section(case_page(client, grievance), "conversation")
    waiting = re.findall(r'<li class="to-citizen" data-status="waiting">(.*?)</li>', page, re.S)
    assert len(waiting) == 3  # received, routed and the question: no job has made their messages
    assert cases.preview_question(grievance, "Since which month?").text in [texts(w)[0] for w in waiting]
    assert "waiting to be sent" in visible(waiting[0])
    record_opt_out(session, PHONE)
    session.commit()
    deliver_complaint_updates(grievance.id)  # the citizen said STOP: no alert is made
    page = section(case_page(client, grievance), "conversation")
    silenced = re.findall(r'<li class="to-citizen" data-status="not_sent">(.*?)</li>', page, re.S)
    assert len(silenced) == 2 and "not sent: the citizen stopped alerts" in visible(silenced[0])


def test_times_are_dhakas(staff_client, session, officer, no_dispatch):
    grievance = filed(session, make_citizen(session, mobile=PHONE))
    grievance.created_at = dt.datetime(2026, 11, 5, 20, 30, tzinfo=dt.UTC)  # 02:30 the next day in Dhaka
    session.add(
        GrievanceEvent(
            grievance_id=grievance.id,
            actor="staff:0",
            from_status=grievance.status,
            to_status=grievance.status,
            note="checked",
            at=dt.datetime(2026, 11, 6, 18, 5, tzinfo=dt.UTC),
        )
    )
    session.commit()
    client = staff_client(officer)
    page = case_page(client, grievance)
    assert "6 Nov 2026, 02:30 · USSD" in visible(page)
    assert "7 Nov 2026, 00:05 · a staff member: checked" in visible(section(page, "internal-notes"))
    client.post("/staff/language", {"language": "bn"})
    assert "৬ নভে ২০২৬, ০২:৩০" in visible(case_page(client, grievance))


# -- the resolution's SMS, previewed and sent whole or cut ---------------------------------
LONG_BANGLA_NOTE = (
    "নগদ অ্যাকাউন্টে ২০ নভেম্বর টাকা পাঠানো হয়েছে। ইউনিয়ন পরিষদের সচিব নিশ্চিত করেছেন যে আপনার নাম "
    "তালিকায় আছে এবং পরের কিস্তি ডিসেম্বরে আসবে। "
) * 3


def test_resolving_with_a_long_note_is_not_refused_and_the_preview_shows_the_cut_sms(
    staff_client, session, officer, no_dispatch
):
    grievance = filed(session, make_citizen(session, mobile=PHONE))
    client = staff_client(officer)
    preview = client.post(
        f"/staff/cases/{grievance.tracking_number}/resolve/preview",
        {"note": LONG_BANGLA_NOTE},
        headers={"Accept": "application/json"},
    ).get_json()
    assert (preview["parts"], preview["fits"], preview["shortened"]) == (2, True, True)
    assert preview["text"].endswith("সমাধান হয়েছে কি? হ্যাঁ হলে ১, না হলে ২ পাঠান।") and "…" in preview["text"]
    assert preview["summary"] == "2 of at most 2 SMS parts: the note is shortened to fit."
    response = client.post(
        f"/staff/cases/{grievance.tracking_number}/act", {"action": "resolve", "note": LONG_BANGLA_NOTE}
    )
    assert response.status_code == 303 and "Done." in client.get(response.location).get_data(as_text=True)
    deliver_complaint_updates(grievance.id)
    message = session.scalars(select(Message).where(Message.template == "complaint_resolved")).one()
    assert message.text == preview["text"] and message.segments == 2  # what the preview said is what went
    session.refresh(grievance)
    assert grievance.status is Status.RESOLVED
    # The trail keeps the whole note (as far as a note is kept), the SMS its cut.
    assert grievance.events[-1].note == cases.clean_note(LONG_BANGLA_NOTE)


def test_the_preview_without_script_follows_the_chosen_action_and_refuses_others_politely(
    staff_client, session, officer, no_dispatch
):
    grievance = filed(session, make_citizen(session, mobile=PHONE))
    client = staff_client(officer)
    url = f"/staff/cases/{grievance.tracking_number}/preview"
    page = client.post(url, {"action": "resolve", "note": "Paid on 20 November"})
    assert page.status_code == 200
    expected = cases.preview_resolution(grievance, "Paid on 20 November").text
    assert f'<pre id="sms-text">{html.escape(expected, quote=True)}' in page.get_data(as_text=True)
    assert '<option value="resolve" selected>' in page.get_data(as_text=True)
    refused = client.post(url, {"action": "note", "note": "x"}, headers={"Accept": "application/json"})
    assert refused.status_code == 400 and "Only a question or a resolution" in refused.get_json()["error"]
    assert client.post(url, {"action": "\x00", "note": "x"}).status_code == 400


def test_the_menu_names_the_actions_in_the_officers_language(staff_client, session, officer, no_dispatch):
    grievance = filed(session, make_citizen(session, mobile=PHONE))
    client = staff_client(officer)
    client.post("/staff/language", {"language": "bn"})
    menu = case_page(client, grievance).split('id="action"')[1].split("</select>")[0]
    labels = re.findall(r'<option value="[a-z]+">(.*?)</option>', menu)
    assert labels[0] == "দায়িত্ব নিন" and not any(re.search("[a-z]{4}", label) for label in labels)


# -- fast whatever the history -------------------------------------------------------------
def statements_of(app, do) -> int:
    engine = database(app).engine
    seen = []

    def count(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        do()
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return len(seen)


def long_history(session, grievance, officer, items):
    """``items`` questions (with their SMS), notes and audit rows on a case."""
    for n in range(items):
        apply_action(session, grievance, Action.ASK, f"staff:{officer.id}", f"question {n}?")
        apply_action(session, grievance, Action.NOTE, f"staff:{officer.id}", f"note {n}")
        session.add(StaffAudit(staff_id=officer.id, action="note", grievance_id=grievance.id, detail={"note": f"{n}"}))
        session.add(
            GrievanceEvent(
                grievance_id=grievance.id,
                actor="citizen",
                from_status=grievance.status,
                to_status=grievance.status,
                note=f"the citizen answered by SMS: answer {n}",
            )
        )
    session.commit()
    deliver_questions(grievance.id)


def test_the_page_is_a_fixed_number_of_queries_whatever_the_history(app, staff_client, session, officer, no_dispatch):
    short = filed(session, citizen_with_history(session, payments=1, redemptions=1))
    long_history(session, short, officer, 1)
    citizen = make_citizen(session, mobile="+8801799999999")
    make_enrolment(session, citizen, "OAA")
    for year in range(2021, 2027):
        for month in range(1, 13):
            make_payment(session, citizen, cycle=f"{year}-{month:02d}", txn_id=f"L{year}{month}")
    session.commit()
    wallet = funded_wallet(session, citizen, "FFP", "300")
    outlet = make_outlet(session)
    for n in range(20):
        at = dt.datetime(2026, 1, 1, tzinfo=dt.UTC) + dt.timedelta(days=n)
        session.add(
            Redemption(
                outlet_id=outlet.id,
                wallet_id=wallet.id,
                citizen_id=citizen.id,
                programme_code="FFP",
                quantity=Decimal(1),
                unit="kg rice",
                operator_mobile=outlet.operator_mobile,
                channel=RedemptionChannel.SMS,
                status=RedemptionStatus.COMPLETED,
                code_hash="0" * 64,
                code_expires_at=at,
                started_at=at,
                finished_at=at,
            )
        )
    session.commit()
    long = filed(session, citizen, phone="+8801799999999")
    long_history(session, long, officer, 45)
    client = staff_client(officer)
    for grievance in (short, long):
        case_page(client, grievance)  # caches warm (the signed-in user, reference data)
    counts = [statements_of(app, lambda g=g: case_page(client, g)) for g in (short, long)]
    assert counts[0] == counts[1] and counts[0] <= 20, counts
    page = case_page(client, long)
    assert page.count('<li class="to-citizen"') == cases.CONVERSATION_LIMIT
    # The complaint as filed, and their latest words.
    assert page.count('<li class="from-citizen"') == cases.CONVERSATION_LIMIT + 1
    assert section(page, "internal-notes").count("<li>") == cases.NOTES_LIMIT
    assert section(page, "audit").count("<tr><td>") == cases.AUDIT_LIMIT
    assert page.count("Only the latest are shown.") == 3  # conversation, notes, audit
    assert len(re.findall(r"<tr><td>", re.search(r'<table id="payments">.*?</table>', page, re.S).group(0))) == 5
    redemptions = re.search(r'<table id="redemptions">.*?</table>', page, re.S).group(0)
    assert redemptions.count("<tr><td>") == 5
    assert "20 Jan 2026" in redemptions and "15 Jan 2026" not in redemptions  # the newest five
