"""Working a case: each action is audited and tells the citizen by SMS."""

import random
import re

import pytest
from sqlalchemy import select

from foundation.jobs import SMS_QUEUE, jobs_run_inline, redis_connection
from grievance.actions import Action
from grievance.models import Category, OutboxEntry, Status
from grievance.outbox import sweep_outbox
from notices.notifications import deliver_complaint_updates
from outbound_sms.models import Message
from staff import cases
from staff.models import StaffAudit
from tests.factories import make_staff


def act(client, grievance, action, **form):
    return client.post(f"/staff/cases/{grievance.tracking_number}/act", {"action": action, **form})


def send_asked(grievance):
    """Run the question's queued job, as an SMS worker would (inline, it has run already)."""
    from rq import Queue

    if jobs_run_inline():
        return
    queue = Queue(SMS_QUEUE, connection=redis_connection())
    for job in queue.get_jobs():
        if job.func_name == "grievance.outbox.run_entry" and job.args == ("ask_citizen", grievance.id):
            queue.remove(job)
            job.perform()


def asked(session, grievance):
    session.expire_all()
    return session.scalars(
        select(OutboxEntry).where(OutboxEntry.grievance_id == grievance.id, OutboxEntry.kind == "ask_citizen")
    ).all()


def audited(session, grievance):
    return session.scalars(
        select(StaffAudit.action).where(StaffAudit.grievance_id == grievance.id).order_by(StaffAudit.id)
    ).all()


def test_received_to_resolved_with_the_citizen_told_at_each_step(staff_client, session, routed_case, officer):
    grievance = routed_case()
    client = staff_client(officer)
    assert act(client, grievance, "acknowledge").status_code == 303
    assert act(client, grievance, "note", note="called the union office").status_code == 303
    assert act(client, grievance, "resolve", note="paid on 20 Nov").status_code == 303
    session.refresh(grievance)
    assert grievance.status is Status.RESOLVED and grievance.assigned_to == officer.id
    assert audited(session, grievance) == ["acknowledge", "note", "resolve"]
    deliver_complaint_updates(grievance.id)
    texts = [m.template for m in session.scalars(select(Message).order_by(Message.id))]
    # received and routed (by filing), acknowledged, resolved: the note is internal.
    assert texts == ["complaint_received", "complaint_routed", "complaint_acknowledged", "complaint_resolved"]
    timeline = client.get(f"/staff/cases/{grievance.tracking_number}").get_data(as_text=True)
    assert "called the union office" in timeline and "paid on 20 Nov" in timeline


def test_resolving_or_rejecting_needs_a_reason(staff_client, session, routed_case, officer):
    grievance = routed_case()
    client = staff_client(officer)
    response = act(client, grievance, "reject")
    assert response.status_code == 303
    assert "write why in the note" in client.get(response.location).get_data(as_text=True)
    session.refresh(grievance)
    assert grievance.status is Status.ROUTED and audited(session, grievance) == []


def test_the_full_phone_only_for_the_assigned_officer_and_every_reveal_audited(
    staff_client, session, routed_case, officer
):
    grievance = routed_case()
    colleague = make_staff(session, "officer")
    session.commit()
    mine, theirs = staff_client(officer), staff_client(colleague)
    case_page = mine.get(f"/staff/cases/{grievance.tracking_number}").get_data(as_text=True)
    assert "+88017*****678" in case_page and "+8801712345678" not in case_page
    assert mine.post(f"/staff/cases/{grievance.tracking_number}/phone").status_code == 403  # not assigned yet
    act(mine, grievance, "acknowledge")
    revealed = mine.post(f"/staff/cases/{grievance.tracking_number}/phone")
    assert revealed.status_code == 200 and "+8801712345678" in revealed.get_data(as_text=True)
    assert theirs.post(f"/staff/cases/{grievance.tracking_number}/phone").status_code == 403
    assert audited(session, grievance).count("reveal_phone") == 1


def test_asking_the_citizen_sends_the_question_word_for_word(staff_client, session, routed_case, officer):
    grievance = routed_case()
    client = staff_client(officer)
    question = "Which union do you collect your allowance in?"
    response = act(client, grievance, "ask", note=question)
    assert response.status_code == 303 and "Done." in client.get(response.location).get_data(as_text=True)
    send_asked(grievance)
    message = session.scalar(select(Message).where(Message.template == "information_request"))
    assert message.phone == "+8801712345678" and question in message.text and "…" not in message.text
    assert message.text == cases.preview_question(grievance, question).text and message.segments <= 2
    session.refresh(grievance)
    assert grievance.status is Status.ROUTED and grievance.events[-1].note.startswith("asked the citizen:")
    [entry] = asked(session, grievance)
    assert entry.done_at is not None and message.dedupe_key == f"outbox:{entry.id}"


def test_asking_writes_the_question_to_the_outbox_with_the_action(session, routed_case, officer, monkeypatch):
    """The question is committed with the action's trail and audit; its SMS waits for the outbox job."""
    grievance = routed_case()
    dispatched = []
    monkeypatch.setattr(cases, "dispatch", lambda entries, **_: dispatched.extend(entries) or len(entries))
    cases.perform(session, officer, grievance, Action.ASK, "  Which union?  ")
    assert dispatched == [("ask_citizen", grievance.id)]  # after the commit
    [entry] = asked(session, grievance)
    assert entry.payload == {"question": "Which union?", "locale": grievance.locale} and entry.done_at is None
    assert audited(session, grievance) == ["ask"] and grievance.events[-1].note == "asked the citizen: Which union?"
    assert session.scalars(select(Message).where(Message.template == "information_request")).all() == []


def test_a_question_whose_send_failed_stays_pending_and_the_sweeper_sends_it(
    session, routed_case, officer, monkeypatch
):
    grievance = routed_case()

    def provider_down(*args, **kwargs):
        raise ConnectionError("the outbound pipe is down")

    with monkeypatch.context() as broken:
        broken.setattr("notices.notifications.create_message", provider_down)
        cases.perform(session, officer, grievance, Action.ASK, "Which union?")  # inline, its job fails
        if not jobs_run_inline():
            with pytest.raises(ConnectionError):
                send_asked(grievance)  # the worker's job fails
    [entry] = asked(session, grievance)
    assert entry.done_at is None  # still to do
    assert session.scalars(select(Message).where(Message.template == "information_request")).all() == []

    assert sweep_outbox(older_than_seconds=0) >= 1
    send_asked(grievance)
    [entry] = asked(session, grievance)
    [message] = session.scalars(select(Message).where(Message.template == "information_request")).all()
    assert entry.done_at is not None and entry.attempts == 1
    assert message.text == cases.preview_question(grievance, "Which union?").text


def test_a_question_needing_three_parts_is_refused_with_the_text_kept(staff_client, session, routed_case, officer):
    grievance = routed_case()
    client = staff_client(officer)
    question = "Which union do you collect your allowance in, and since which month is it missing? " * 3
    response = act(client, grievance, "ask", note=question.strip())
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Not done: the question would need 5 SMS parts; at most 2 may be sent. Shorten it." in page
    assert f">{question.strip()}</textarea>" in page  # the officer's text, to shorten
    assert '<option value="ask" selected>' in page
    assert session.scalars(select(Message).where(Message.template == "information_request")).all() == []
    assert audited(session, grievance) == []
    session.refresh(grievance)
    assert not any((e.note or "").startswith("asked the citizen") for e in grievance.events)


def test_a_question_over_the_note_limit_is_refused_whole_and_kept_whole(staff_client, session, routed_case, officer):
    grievance = routed_case()
    client = staff_client(officer)
    question = "Since which month is the allowance missing? " * 14  # over 500 characters
    assert len(question.strip()) > cases.NOTE_MAX_CHARS
    response = act(client, grievance, "ask", note=question)
    page = response.get_data(as_text=True)
    parts = cases.preview_question(grievance, question).parts  # of the whole text, not its first 500
    assert response.status_code == 422 and parts > 8
    assert f"Not done: the question would need {parts} SMS parts; at most 2 may be sent. Shorten it." in page
    assert f">{question.strip()}</textarea>" in page
    without_script = preview(client, grievance, question, json=False)
    page = without_script.get_data(as_text=True)
    assert without_script.status_code == 413 and "The question is too long: at most 500 characters." in page
    assert f">{question}</textarea>" in page
    assert session.scalars(select(Message).where(Message.template == "information_request")).all() == []


def test_the_refusal_is_in_the_officers_language(staff_client, session, routed_case, officer):
    grievance = routed_case()
    client = staff_client(officer)
    client.post("/staff/language", {"language": "bn"})
    question = "প্রশ্ন " * 40
    response = act(client, grievance, "ask", note=question)
    assert response.status_code == 422
    parts = cases.preview_question(grievance, question).parts
    reason = _("the question would need %(parts)s SMS parts; at most %(max)s may be sent. Shorten it.", "bn", parts)
    assert "SMS parts" not in reason and reason in response.get_data(as_text=True)


def _(msgid, locale, parts):
    """The page's translation of ``msgid`` with Bengali digits, as the staff page shows it."""
    from foundation.i18n import format_number, translate

    return translate(locale, msgid) % {"parts": format_number(parts, locale), "max": format_number(2, locale)}


def emoji_questions(count=480):
    """Officers' questions, some with emoji and some in Bangla, of every length near 2 parts."""
    rng = random.Random(480)
    words = ["Which", "union", "office", "month", "payment", "missing", "Nagad", "bKash", "card", "since", "when"]
    bangla = ["কোন", "ইউনিয়ন", "মাস", "ভাতা", "পাননি", "ক্ষমা", "কার্ড", "নম্বর", "দিন", "কবে"]
    emoji = ["🙏", "👍", "👍🏽", "📞", "✅", "❓", "🇧🇩"]
    questions = []
    for n in range(count):
        vocabulary = bangla if n % 3 == 0 else words
        parts = [rng.choice(vocabulary) for _ in range(rng.randint(4, 30))]
        for _ in range(rng.randint(2, 8)):
            parts.insert(rng.randrange(len(parts) + 1), rng.choice(emoji))
        questions.append(" ".join(parts) + "?")
    return questions


def old_count(text):
    """How the old counter saw a text: units divided by 67 (or 153)."""
    from outbound_sms.encoding import count_parts

    encoded = count_parts(text)
    single, part = (160, 153) if encoded.encoding == "GSM-7" else (70, 67)
    return 1 if encoded.units <= single else -(-encoded.units // part)


def old_trimmed(grievance, question):
    """What the old "ask the citizen" sent: the question cut word by word until the old
    counter said 2 parts."""
    words = question.split()
    candidate = " ".join(words)
    while words and old_count(cases.preview_question(grievance, candidate).text) > 2:
        words.pop()
        candidate = " ".join(words) + "…"
    return cases.preview_question(grievance, candidate).text


@pytest.mark.parametrize("provider", ["console", "kannel", "twilio"])
def test_of_480_questions_none_accepted_needs_more_than_two_parts(app, session, routed_case, provider, monkeypatch):
    from outbound_sms.encoding import segments

    monkeypatch.setitem(app.config, "SMS_PROVIDER", provider)
    grievance = routed_case()
    previews = [cases.preview_question(grievance, q) for q in emoji_questions()]
    accepted = [p for p in previews if p.fits]
    assert all(segments(p.text, provider).segments <= 2 for p in accepted)
    assert all(segments(p.text, provider).segments > 2 for p in previews if not p.fits)
    # What the old trimming sent in "2 parts" needed 3 for some of them.
    assert any(segments(old_trimmed(grievance, q), provider).segments > 2 for q in emoji_questions())
    assert 0 < len(accepted) < len(previews)  # the sample has both sides of the budget


def test_a_conjunct_across_the_part_boundary_is_refused_for_twilio_only(
    app, session, routed_case, officer, monkeypatch
):
    from outbound_sms.encoding import Billing, count_parts

    grievance = routed_case()
    # Find the question whose SMS has the conjunct at units 66-68: 2 parts cut, 3 billed whole.
    question = next(
        q
        for q in ("ক" * n + "ক্ষ" + "ক" * m for n in range(40) for m in range(40))
        if (lambda text: (count_parts(text).segments, count_parts(text, Billing.TWILIO).segments) == (2, 3))(
            cases.preview_question(grievance, q).text
        )
    )
    monkeypatch.setitem(app.config, "SMS_PROVIDER", "twilio")
    with pytest.raises(cases.QuestionTooLong):
        cases.perform(session, officer, grievance, Action.ASK, question)
    session.rollback()
    monkeypatch.setitem(app.config, "SMS_PROVIDER", "kannel")
    cases.perform(session, officer, grievance, Action.ASK, question)
    send_asked(grievance)
    assert session.scalar(select(Message.segments).where(Message.template == "information_request")) == 2


def preview(client, grievance, note, json=True):
    headers = {"Accept": "application/json"} if json else {}
    return client.post(f"/staff/cases/{grievance.tracking_number}/ask/preview", {"note": note}, headers=headers)


def test_the_preview_shows_the_exact_text_and_its_parts(staff_client, session, routed_case, officer):
    grievance = routed_case()
    client = staff_client(officer)
    answer = preview(client, grievance, "  Since which month? 🙏 ").get_json()
    assert answer["text"] == cases.preview_question(grievance, "Since which month? 🙏").text
    assert "Since which month? 🙏" in answer["text"] and answer["encoding"] == "UCS-2"
    assert (answer["parts"], answer["max_parts"], answer["fits"]) == (2, 2, True)
    assert answer["summary"] == "2 of at most 2 SMS parts."
    long = preview(client, grievance, "🙏" * 60).get_json()
    assert long["fits"] is False and long["parts"] == 4 and "would need 4 SMS parts" in long["summary"]
    assert session.scalars(select(Message).where(Message.template == "information_request")).all() == []


def test_the_preview_without_script_is_the_case_page_with_the_text_kept(staff_client, session, routed_case, officer):
    grievance = routed_case()
    page = preview(staff_client(officer), grievance, "Since which month?", json=False)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and ">Since which month?</textarea>" in html
    assert '<pre id="sms-text">' + cases.preview_question(grievance, "Since which month?").text in html


def test_the_preview_is_scoped_bounded_and_for_signed_in_officers_only(staff_client, session, routed_case, officer):
    grievance = routed_case()
    elsewhere = make_staff(session, "officer", ministry_code="MOFOOD")
    finance = make_staff(session, "officer", ministry_code="FD")  # also concerned: notes only
    session.commit()
    assert preview(staff_client(elsewhere), grievance, "Since when?").status_code == 404
    assert preview(staff_client(finance), grievance, "Since when?").status_code == 403
    assert preview(staff_client(), grievance, "Since when?").status_code in (302, 401)
    too_big = preview(staff_client(officer), grievance, "a" * 501)
    assert too_big.status_code == 413 and "at most 500 characters" in too_big.get_json()["error"]
    assert preview(staff_client(officer), grievance, "a" * 501, json=False).status_code == 413
    assert preview(staff_client(officer), grievance, "\x00 Since when?").get_json()["fits"] is True


def test_transfer_moves_the_case_to_the_other_ministry(staff_client, session, routed_case, officer):
    grievance = routed_case(category=Category.AMOUNT_SHORT)
    food_officer = make_staff(session, "officer", ministry_code="MOFOOD")
    session.commit()
    client = staff_client(officer)
    assert act(client, grievance, "transfer", to="MOFOOD").status_code == 303  # a reason is required
    session.refresh(grievance)
    assert grievance.ministry_code == "MOSW"
    response = act(client, grievance, "transfer", to="MOFOOD", note="it is a food-friendly card case")
    assert response.status_code == 303 and response.location.endswith("/staff/")
    session.refresh(grievance)
    assert (grievance.ministry_code, grievance.status) == ("MOFOOD", Status.ROUTED)
    assert client.get(f"/staff/cases/{grievance.tracking_number}").status_code == 404
    assert staff_client(food_officer).get(f"/staff/cases/{grievance.tracking_number}").status_code == 200


def test_bulk_acknowledge(staff_client, session, routed_case, officer):
    cases = [routed_case(category=category) for category in (Category.AMOUNT_SHORT, Category.WRONG_DATA)]
    other = routed_case(programme_code="FFP", category=Category.ETOKEN_REFUSED)  # not this ministry's
    client = staff_client(officer)
    numbers = [g.tracking_number for g in [*cases, other]]
    assert client.post("/staff/queue/acknowledge", {"case": numbers}).status_code == 302
    for grievance in [*cases, other]:
        session.refresh(grievance)
    assert [g.status for g in cases] == [Status.ACKNOWLEDGED] * 2 and other.status is Status.ROUTED


def test_a_refusal_is_explained_in_the_users_language(staff_client, session, routed_case, officer):
    grievance = routed_case()
    client = staff_client(officer)
    client.post("/staff/language", {"language": "bn"})
    act(client, grievance, "resolve", note="paid")
    response = act(client, grievance, "acknowledge")  # a resolved complaint cannot be acknowledged
    assert "তাই এটি করা যায় না" in client.get(response.location).get_data(as_text=True)
    response = act(client, grievance, "nonsense")
    assert response.status_code == 303


def test_the_workspace_offers_its_actions_in_order_and_start_is_not_one(staff_client, session, routed_case, officer):
    grievance = routed_case()
    client = staff_client(officer)
    page = client.get(f"/staff/cases/{grievance.tracking_number}").get_data(as_text=True)
    offered = re.findall(r'<option value="([a-z]+)"(?: selected)?>', page.split('id="action"')[1].split("</select>")[0])
    assert offered == ["acknowledge", "note", "ask", "transfer", "resolve", "reject"]
    response = act(client, grievance, "start")  # the CLI's, not the workspace's
    assert response.status_code == 303
    assert "choose an action" in client.get(response.location).get_data(as_text=True)
    session.refresh(grievance)
    assert grievance.status is Status.ROUTED and audited(session, grievance) == []


def test_a_note_from_the_also_concerned_ministry_is_audited_and_stays_internal(
    staff_client, session, routed_case, no_dispatch
):
    grievance = routed_case()  # MOSW leads, the Finance Division is also concerned
    finance = make_staff(session, "officer", ministry_code="FD")
    session.commit()
    client = staff_client(finance)
    assert act(client, grievance, "note", note="G2P: returned by the wallet").status_code == 303
    assert act(client, grievance, "resolve", note="paid").status_code == 403
    assert audited(session, grievance) == ["note"]
    session.refresh(grievance)
    assert grievance.status is Status.ROUTED and grievance.events[-1].actor == f"staff:{finance.id}"
    deliver_complaint_updates(grievance.id)
    # Filing told the citizen twice; the note is internal.
    assert session.scalars(select(Message.template).order_by(Message.id)).all() == [
        "complaint_received",
        "complaint_routed",
    ]


def test_a_nul_byte_in_a_form_is_no_500(staff_client, session, routed_case, officer):
    # PostgreSQL refuses NUL in text: a note or a ministry code carrying one was a 500 there.
    grievance = routed_case()
    client = staff_client(officer)
    assert act(client, grievance, "note", note="called\x00 the union").status_code == 303
    assert act(client, grievance, "transfer", to="MO\x00FOOD", note="food card").status_code == 303
    assert client.post("/staff/queue/acknowledge", {"case": ["\x00"]}).status_code == 302
    session.refresh(grievance)
    assert (grievance.ministry_code, grievance.status) == ("MOSW", Status.ROUTED)
    assert grievance.events[-1].note == "called the union"


def test_a_case_number_in_bengali_digits_opens_the_case_and_nonsense_is_404(
    staff_client, session, routed_case, officer
):
    grievance = routed_case()
    client = staff_client(officer)
    bengali = grievance.tracking_number.translate(str.maketrans("0123456789", "০১২৩৪৫৬৭৮৯"))
    assert client.get(f"/staff/cases/{bengali}").status_code == 200
    for number in ("%00", f"{grievance.tracking_number}%00", "9" * 5000, "١٢٣"):
        assert client.get(f"/staff/cases/{number}").status_code == 404, number[:20]


def test_the_scripts_unavailable_message_is_translated_on_the_page(staff_client, routed_case, officer):
    grievance = routed_case()
    client = staff_client(officer)
    client.post("/staff/language", {"language": "bn"})
    page = client.get(f"/staff/cases/{grievance.tracking_number}").get_data(as_text=True)
    assert 'data-unavailable="এসএমএসটি আগে দেখানো যাচ্ছে না। পাতাটি আবার খুলুন।"' in page
