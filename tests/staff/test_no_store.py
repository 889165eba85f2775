"""Pages and files with personal data are never kept by a browser or proxy."""


def test_case_pages_and_exports_are_never_cached(session, staff_client, routed_case, officer):
    grievance = routed_case()
    client = staff_client(officer)
    for path in (f"/staff/cases/{grievance.tracking_number}", "/staff/queue.csv", "/staff/"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.headers["Cache-Control"] == "no-store", path
