"""The Hubtel dialect: only the latest input each hop, numbered by Sequence."""


def hop(client, sequence, kind="Response", message=None, session="hub-1", mobile="+8801712000001"):
    return client.post(
        "/ussd/hubtel",
        json={
            "Type": kind,
            "Mobile": mobile,
            "SessionId": session,
            "ServiceCode": "*123#",
            "Message": message,
            "Operator": "robi",
            "Sequence": sequence,
        },
    )


def test_a_journey_over_hubtel(client, caller):
    first = hop(client, 1, "Initiation", "*123#").get_json()
    assert first["Type"] == "Response" and first["Message"].startswith("সহায়তা\n১ ")
    etokens = hop(client, 2, message="3").get_json()
    assert etokens["Message"].startswith("খাদ্যবান্ধব: ৩০ কেজি চাল")


def test_a_retried_sequence_does_not_advance(client, caller):
    hop(client, 1, "Initiation", "*123#")
    first = hop(client, 2, message="1").get_json()
    assert hop(client, 2, message="1").get_json() == first
    assert hop(client, 3, message="0").get_json()["Message"].startswith("সহায়তা")


def test_too_many_wrong_entries_releases_the_session(client, caller):
    hop(client, 1, "Initiation", "*123#")
    hop(client, 2, message="9")
    hop(client, 3, message="9")
    assert hop(client, 4, message="9").get_json()["Type"] == "Release"


def test_release_and_timeout_notifications_are_acknowledged(client, caller):
    hop(client, 1, "Initiation", "*123#")
    response = hop(client, 2, "Timeout")
    assert response.status_code == 200 and response.get_json()["Type"] == "Release"


def test_malformed_bodies_get_400(client, caller):
    assert client.post("/ussd/hubtel", data="not json").status_code == 400
    assert client.post("/ussd/hubtel", json=[1, 2]).status_code == 400
    assert hop(client, "x", "Response", "1").status_code == 400
    assert hop(client, 1, "Bogus", "1").status_code == 400
    assert client.post("/ussd/hubtel", json={"Type": "Response", "Sequence": 2, "Message": 5}).status_code == 400
