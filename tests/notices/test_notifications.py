"""Complaint notices made from the grievance outbox: updates and officers' questions."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from grievance.actions import Action, apply_action
from grievance.intake import file_grievance
from grievance.models import CitizenQuestion, GrievanceEvent, OutboxEntry, QuestionKind
from grievance.outbox import ASK_CITIZEN
from notices import notifications
from outbound_sms.models import Message
from tests.factories import make_citizen, make_filing


def test_a_question_whose_complaint_lost_its_phone_says_so_in_the_trail(session, no_dispatch, monkeypatch):
    citizen = make_citizen(session, mobile="+8801712345678")
    session.commit()
    grievance = file_grievance(session, make_filing(citizen_id=citizen.id)).grievance
    apply_action(session, grievance, Action.ASK, "cli", "which month was missed?")
    session.commit()
    monkeypatch.setattr(notifications, "contact_phone", lambda session, grievance: None)  # the number was removed
    assert notifications.deliver_questions(grievance.id) == 0
    session.expire_all()
    [entry] = session.scalars(select(OutboxEntry).where(OutboxEntry.kind == ASK_CITIZEN)).all()
    assert entry.done_at is not None
    last = session.scalars(
        select(GrievanceEvent).where(GrievanceEvent.grievance_id == grievance.id).order_by(GrievanceEvent.id.desc())
    ).first()
    assert last.note == "question not sent: the complaint has no phone number now"
    assert session.scalars(select(Message).where(Message.template == "information_request")).all() == []


# -- the resolution SMS carries the officer's note ---------------------------------------
REPLY_BN = "হ্যাঁ হলে ১, না হলে ২ পাঠান।"
LONG_BANGLA_NOTE = (
    "নগদ অ্যাকাউন্টে ২০ নভেম্বর টাকা পাঠানো হয়েছে। ইউনিয়ন পরিষদের সচিব নিশ্চিত করেছেন যে আপনার নাম "
    "তালিকায় আছে এবং পরের কিস্তি ডিসেম্বরে আসবে।"
)


def resolved_with(session, note, locale="bn"):
    """A complaint resolved by an officer with ``note``, and the SMS its notice made."""
    from grievance.jobs import route_grievance

    citizen = make_citizen(session, mobile="+8801712345678")
    session.commit()
    grievance = file_grievance(session, make_filing(citizen_id=citizen.id, locale=locale)).grievance
    route_grievance(grievance.id)
    session.refresh(grievance)
    apply_action(session, grievance, Action.RESOLVE, "staff:1", note)
    session.commit()
    notifications.deliver_complaint_updates(grievance.id)
    message = session.scalars(select(Message).where(Message.template == "complaint_resolved")).one()
    return grievance, message


def test_a_long_bangla_note_gives_a_two_part_sms_ending_with_the_reply_instruction(session, no_dispatch):
    from outbound_sms.encoding import strictest

    grievance, message = resolved_with(session, LONG_BANGLA_NOTE)
    assert strictest(LONG_BANGLA_NOTE).units > 134  # alone it needs more than the 2 parts
    assert strictest(message.text).segments == 2 and message.segments == 2
    assert message.text.endswith("সমাধান হয়েছে কি? " + REPLY_BN)  # the question, whole
    shown = message.text.split("জানিয়েছে: ", 1)[1].split("। সমাধান হয়েছে কি?")[0]
    assert shown.endswith("…") and LONG_BANGLA_NOTE.startswith(shown.removesuffix("…"))
    assert shown == "নগদ অ্যাকাউন্টে ২০ নভেম্বর টাকা…"  # cut at a word, not inside one
    # The question it asks is open, so a bare "2" answers it.
    [question] = session.scalars(select(CitizenQuestion)).all()
    assert (question.kind, question.subject_id) == (QuestionKind.COMPLAINT_RESOLVED, grievance.id)


def test_a_short_note_goes_whole_in_each_language(session, no_dispatch):
    _, message = resolved_with(session, "Paid on 20 November through Nagad.", locale="en")
    assert message.text == (
        f"Complaint {message.text.split()[1]} is marked resolved: Paid on 20 November through Nagad. "
        "Is it? Reply 1 for yes, 2 for no."
    )
    assert message.encoding == "GSM-7" and message.segments == 1


def test_a_long_english_note_is_cut_with_three_dots_and_stays_gsm7(session, no_dispatch):
    from outbound_sms.encoding import strictest

    note = "The union council secretary confirmed the arrears for July and August; " * 5
    _, message = resolved_with(session, note, locale="en")
    assert message.encoding == "GSM-7" and strictest(message.text).segments == 2
    assert "…" not in message.text and "...." in message.text  # three dots, then the full stop
    assert message.text.endswith(". Is it? Reply 1 for yes, 2 for no.")


def test_a_notice_queued_without_a_note_is_worded_as_before(session, no_dispatch):
    """Entries written before notes travelled (or by a resolution without one) still go out."""
    from grievance.jobs import route_grievance
    from grievance.models import Status
    from grievance.status import change_status

    citizen = make_citizen(session, mobile="+8801712345678")
    session.commit()
    grievance = file_grievance(session, make_filing(citizen_id=citizen.id, locale="en")).grievance
    route_grievance(grievance.id)
    session.refresh(grievance)
    change_status(session, grievance, Status.RESOLVED, "cli")  # the notice carries no note
    session.commit()
    notifications.deliver_complaint_updates(grievance.id)
    text = session.scalar(select(Message.text).where(Message.template == "complaint_resolved"))
    assert text.endswith("is marked resolved. Is it? Reply 1 for yes, 2 for no.")


NOTE_LETTERS = [*"অআকখগঘচজটডতদনপবমযরলশসহািীুেোৃ্ংঁ ", *"abcdefgh XYZ.,;€[", "🙏", "👍🏽", "ক্ষ", "\n"]


@settings(max_examples=300, deadline=None)
@given(
    note=st.lists(st.sampled_from(NOTE_LETTERS), max_size=300).map("".join),
    locale=st.sampled_from(["bn", "en", "bn_Latn"]),
)
def test_any_note_fits_two_parts_and_never_cuts_the_question(note, locale):
    from notices.templates import complaint_resolved, sms_note
    from outbound_sms.encoding import GRAPHEME, strictest

    text = complaint_resolved(locale, "123456789", note)
    assert strictest(text).segments <= 2
    without_note = complaint_resolved(locale, "123456789", None)
    before, after = complaint_resolved(locale, "123456789", "\ue000").split("\ue000")
    said = sms_note(note)
    if text == without_note:
        assert not said or strictest(before + said[:1] + "…" + after).segments > 2
        return
    assert text.startswith(before) and text.endswith(after)  # the question and the reply instruction, whole
    shown = text[len(before) : len(text) - len(after)]
    if shown == said:
        return
    kept = shown.removesuffix("…").removesuffix("...")
    assert kept != shown and kept  # cut, and says so
    clusters = GRAPHEME.findall(said)
    assert any("".join(clusters[:n]).rstrip(" ,;:.।-") == kept for n in range(1, len(clusters)))
