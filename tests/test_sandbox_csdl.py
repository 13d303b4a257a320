"""services/sandbox/csdl.py checks requests against Microsoft Graph's official CSDL ($metadata): paths by the
OData URL conventions, methods, query options, action parameters and entity bodies. Each bad request below
must be reported (so each test can fail)."""

from __future__ import annotations

import pytest

from services.sandbox.csdl import Spec

SPEC = Spec("microsoft-365", "cleanMetadata.v1.0.xml", base="/v1.0", name="the Graph metadata")
GRAPH = "https://graph.microsoft.com/v1.0"
MESSAGE = {"subject": "Hi", "body": {"contentType": "text", "content": "Hello"},
           "toRecipients": [{"emailAddress": {"address": "jane.doe@example.com", "name": "Jane Doe"}}]}
EVENT = {"subject": "Kick-off", "start": {"dateTime": "2026-01-02T09:00:00", "timeZone": "UTC"},
         "end": {"dateTime": "2026-01-02T09:30:00", "timeZone": "UTC"}, "isOnlineMeeting": False}


def test_the_metadata_is_parsed_once_with_aliases_resolved():
    model = SPEC.model()
    assert SPEC.model() is model
    assert model.singletons["me"] == "microsoft.graph.user"
    assert model.types["microsoft.graph.event"].base == "microsoft.graph.outlookItem"
    assert model.members("microsoft.graph.message")[0]["id"].type == "Edm.String"   # from entity, two bases up


@pytest.mark.parametrize(("method", "url", "body"), [
    ("GET", f"{GRAPH}/me", None),
    ("GET", f"{GRAPH}/me/messages?$top=10&$select=subject,from,receivedDateTime", None),
    ("GET", "/v1.0/me/messages/AAMkAGUAAAwTW09AAA=", None),
    ("GET", "/v1.0/users/87d349ed-44d7-43e1-9a83-5f2406dee5bd/messages", None),
    ("POST", f"{GRAPH}/me/sendMail", {"Message": MESSAGE, "SaveToSentItems": False}),
    ("POST", f"{GRAPH}/me/sendMail", {"message": MESSAGE}),               # the reference page's spelling
    ("POST", f"{GRAPH}/me/microsoft.graph.sendMail", {"Message": MESSAGE}),
    ("POST", f"{GRAPH}/me/events", EVENT),
    ("POST", f"{GRAPH}/me/events", {**EVENT, "attendees": [
        {"emailAddress": {"address": "a@example.com"}, "type": "required"}]}),
    ("PATCH", "/v1.0/me/messages/AAMk1", {"isRead": True}),
    ("POST", "/v1.0/me/messages", {**MESSAGE, "attachments": [
        {"@odata.type": "#microsoft.graph.fileAttachment", "name": "a.txt", "contentBytes": "aGk="}]}),
])
def test_requests_graph_accepts_conform(method, url, body):
    assert SPEC.problems(method, url, body) == []


@pytest.mark.parametrize(("method", "url", "body", "expected"), [
    ("GET", "/v1.0/me/mesages", None, "Resource not found for the segment 'mesages'"),
    ("GET", "/v1.0/nobody/messages", None, "Resource not found for the segment 'nobody'"),
    ("GET", "/v1.0/me/sendMail", None, "GET is not allowed"),
    ("DELETE", "/v1.0/me/messages", None, "DELETE is not allowed"),
    ("POST", "/v1.0/me", {"displayName": "x"}, "POST is not allowed"),
    ("GET", "/v1.0/me/messages?$top=ten", None, "query:$top: must be a non-negative integer"),
    ("GET", "/v1.0/me/messages?$select=subject,subjekt", None, "'subjekt' is not a property"),
    ("GET", "/v1.0/me/messages?top=10", None, "query:top: is not an OData system query option"),
    ("GET", "/v1.0/me?$top=1", None, "applies to collections only"),
    ("POST", "/v1.0/me/sendMail", {"SaveToSentItems": True}, "missing required parameter(s) Message"),
    ("POST", "/v1.0/me/sendMail", None, "the request body is required"),
    ("POST", "/v1.0/me/sendMail", {"Message": MESSAGE, "SaveToSent": True}, "$.SaveToSent: is not a parameter"),
    ("POST", "/v1.0/me/sendMail", {"Message": MESSAGE, "SaveToSentItems": "no"}, "expected Edm.Boolean"),
    ("POST", "/v1.0/me/sendMail", {"Message": {**MESSAGE, "to": "a@example.com"}},
     "The property 'to' does not exist on type 'microsoft.graph.message'"),
    ("POST", "/v1.0/me/sendMail", {"Message": {**MESSAGE, "body": {"contentType": "markdown", "content": "x"}}},
     "'markdown' is not a member of microsoft.graph.bodyType"),
    ("POST", "/v1.0/me/sendMail", {"Message": {**MESSAGE, "toRecipients": {"emailAddress": {}}}},
     "expected a collection of microsoft.graph.recipient"),
    ("POST", "/v1.0/me/events", {**EVENT, "end": {"timeZone": "UTC"}}, "missing required field(s) dateTime"),
    ("POST", "/v1.0/me/events", {**EVENT, "reminderMinutesBeforeStart": 2**40}, "expected Edm.Int32"),
    ("POST", "/v1.0/me/events", {**EVENT, "createdDateTime": "yesterday"}, "expected Edm.DateTimeOffset"),
    ("POST", "/v1.0/me/events", {**EVENT, "location": {"@odata.type": "#microsoft.graph.message"}},
     "is not microsoft.graph.location or derived from it"),
    ("POST", "/v1.0/me/events", None, "the request body is required"),
    ("GET", "/v1.0/me/messages", {"subject": "x"}, "takes no request body"),
])
def test_requests_graph_refuses_are_reported(method, url, body, expected):
    problems = SPEC.problems(method, url, body)
    assert any(expected in p for p in problems), problems
