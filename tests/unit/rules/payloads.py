"""Calendar event payloads from the Google Calendar API v3 and Microsoft Graph v1.0 documentation.

Each constant is the ``raw`` object of one event as the provider's documentation shows it; ``listed``
wraps one in the item MeetStream's ``GET /calendar/events`` returns. Fields that say nothing about an
event's people, ownership, recurrence, all-day span or description (reminders, etags, @odata links,
change keys, web links) are left out; anything added to or changed from a documented example is named
in the comment above its constant.
"""

from __future__ import annotations

import copy

# https://developers.google.com/workspace/calendar/api/guides/create-events ("Add an event", the
# "Google I/O 2015" events.insert body), as the event the insert creates: the Events resource
# (https://developers.google.com/workspace/calendar/api/v3/reference/events) gives a created event
# kind, id, status, iCalUID, creator and organizer ({email, self}), and each attendee a responseStatus.
# Added: those fields; owner@example.com, the account whose primary calendar the guide inserts into,
# as creator and organizer with "self": true; "needsAction" (Google's value for no answer yet) for
# both guests. Dropped: reminders.
GOOGLE_IO = {
    "kind": "calendar#event",
    "id": "ioevent2015",
    "status": "confirmed",
    "summary": "Google I/O 2015",
    "location": "800 Howard St., San Francisco, CA 94103",
    "description": "A chance to hear more about Google's developer products.",
    "creator": {"email": "owner@example.com", "self": True},
    "organizer": {"email": "owner@example.com", "self": True},
    "start": {"dateTime": "2015-05-28T09:00:00-07:00", "timeZone": "America/Los_Angeles"},
    "end": {"dateTime": "2015-05-28T17:00:00-07:00", "timeZone": "America/Los_Angeles"},
    "recurrence": ["RRULE:FREQ=DAILY;COUNT=2"],
    "iCalUID": "ioevent2015@google.com",
    "attendees": [
        {"email": "lpage@example.com", "responseStatus": "needsAction"},
        {"email": "sbrin@example.com", "responseStatus": "needsAction"},
    ],
}

# The second day of GOOGLE_IO as events.instances / events.list?singleEvents=true return it: the
# Events resource gives an instance recurringEventId ("For an instance of a recurring event, this is
# the id of the recurring event to which this instance belongs") and originalStartTime, and no
# recurrence. Constructed from GOOGLE_IO with those fields; the id follows the form Google gives
# instances (<recurring event id>_<original start in UTC>), which the reference does not spell out.
GOOGLE_IO_INSTANCE = {
    **{key: copy.deepcopy(value) for key, value in GOOGLE_IO.items() if key != "recurrence"},
    "id": "ioevent2015_20150529T160000Z",
    "start": {"dateTime": "2015-05-29T09:00:00-07:00", "timeZone": "America/Los_Angeles"},
    "end": {"dateTime": "2015-05-29T17:00:00-07:00", "timeZone": "America/Los_Angeles"},
    "recurringEventId": "ioevent2015",
    "originalStartTime": {"dateTime": "2015-05-29T09:00:00-07:00", "timeZone": "America/Los_Angeles"},
}

# https://developers.google.com/workspace/calendar/api/v3/reference/events (attendees[]: email,
# displayName, organizer, self, resource, optional, responseStatus "needsAction" | "declined" |
# "tentative" | "accepted"; organizer.self, false when the organizer is not this calendar's owner).
# Google I/O 2015 from the create-events guide as it appears in sbrin@example.com's calendar, where
# lpage@example.com organized it. Constructed, as no documented example has these: sbrin is the
# calendar owner ("self": true) and has not answered; lpage, the organizer, accepted; an attendee
# from another domain (partner@example.net) declined; an optional attendee (guest@example.com) is
# tentative; a room (resource: true) accepted. Its displayName is the Admin SDK's example
# generatedResourceName (Directory API resources.calendars); its address has the
# @resource.calendar.google.com domain of the resourceEmail Google generates, local part made up.
GOOGLE_WITH_ROOM_AND_SELF = {
    "kind": "calendar#event",
    "id": "ioevent2015room",
    "status": "confirmed",
    "summary": "Google I/O 2015",
    "location": "800 Howard St., San Francisco, CA 94103",
    "description": "A chance to hear more about Google's developer products.",
    "creator": {"email": "lpage@example.com"},
    "organizer": {"email": "lpage@example.com"},
    "start": {"dateTime": "2015-05-28T09:00:00-07:00", "timeZone": "America/Los_Angeles"},
    "end": {"dateTime": "2015-05-28T17:00:00-07:00", "timeZone": "America/Los_Angeles"},
    "iCalUID": "ioevent2015room@google.com",
    "attendees": [
        {"email": "lpage@example.com", "organizer": True, "responseStatus": "accepted"},
        {"email": "sbrin@example.com", "self": True, "responseStatus": "needsAction"},
        {"email": "partner@example.net", "displayName": "Partner", "responseStatus": "declined"},
        {"email": "guest@example.com", "optional": True, "responseStatus": "tentative"},
        {
            "email": "example.com_3132323634@resource.calendar.google.com",
            "displayName": "NYC-2-Training Room 1A (16)",
            "resource": True,
            "responseStatus": "accepted",
        },
    ],
}

# https://developers.google.com/workspace/calendar/api/v3/reference/events (start.date: "The date,
# in the format "yyyy-mm-dd", if this is an all-day event"; end: "The (exclusive) end time of the
# event"), and https://developers.google.com/workspace/calendar/api/concepts/events-calendars ("All-day
# events use the start.date and end.date fields"). No documented all-day payload exists: this is
# GOOGLE_IO's two days as one all-day event (28 and 29 May, end date exclusive), without attendees
# or recurrence.
GOOGLE_ALL_DAY = {
    "kind": "calendar#event",
    "id": "ioevent2015dates",
    "status": "confirmed",
    "summary": "Google I/O 2015",
    "description": "A chance to hear more about Google's developer products.",
    "creator": {"email": "owner@example.com", "self": True},
    "organizer": {"email": "owner@example.com", "self": True},
    "start": {"date": "2015-05-28"},
    "end": {"date": "2015-05-30"},
    "iCalUID": "ioevent2015dates@google.com",
}

# https://learn.microsoft.com/en-us/graph/api/event-get?view=graph-rest-1.0 ("Example 1: Get a
# specified event", the response). Its request $selects subject, body, bodyPreview, organizer,
# attendees, start, end, location and hideAttendees, so the response has no isOrganizer,
# responseStatus, isAllDay, type or iCalUId: reproduced as documented. Changed: body.content keeps
# the text of the documented HTML and drops its tables, styles and links (the group footer).
GRAPH_GET_EVENT = {
    "id": "AAMkAGVmMDEzMTM4LTZmYWUtNDdkNC1hMDZiLTU1OGY5OTZhYmY4OABGAAAAAAAiQ8W967B7TKBjgx9rVEURBwAiIs"
    "qMbYjsT5e-T7KzowPTAAAAAAENAAAiIsqMbYjsT5e-T7KzowPTAAAa_WKzAAA=",
    "subject": "New Product Regulations Touchpoint",
    "bodyPreview": "New Product Regulations Strategy Online Touchpoint MeetingYou're receiving this message "
    "because you're a member of the Engineering group. If you don't want to receive any messages or "
    "events from this group, stop following it in your inbox.View g",
    "hideAttendees": False,
    "body": {
        "contentType": "html",
        "content": '<html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8"></head>'
        "<body>New Product Regulations Strategy Online Touchpoint Meeting<div>You're receiving this "
        "message because you're a member of the Engineering group. If you don't want to receive any "
        "messages or events from this group, stop following it in your inbox. View group conversations "
        "| View group files</div></body></html>",
    },
    "start": {"dateTime": "2014-11-03T17:00:00.0000000", "timeZone": "UTC"},
    "end": {"dateTime": "2014-11-03T17:30:00.0000000", "timeZone": "UTC"},
    "location": {
        "displayName": "Conf Room Rainier",
        "locationType": "default",
        "uniqueId": "Conf Room Rainier",
        "uniqueIdType": "private",
    },
    "attendees": [
        {
            "type": "required",
            "status": {"response": "none", "time": "0001-01-01T00:00:00Z"},
            "emailAddress": {"name": "Engineering", "address": "engineering@contoso.com"},
        },
        {
            "type": "required",
            "status": {"response": "none", "time": "0001-01-01T00:00:00Z"},
            "emailAddress": {"name": "Irvin Sayers", "address": "IrvinS@contoso.com"},
        },
    ],
    "organizer": {"emailAddress": {"name": "Engineering", "address": "engineering@contoso.com"}},
}

# https://learn.microsoft.com/en-us/graph/api/user-post-events?view=graph-rest-1.0 ("Example 1:
# Create an event in the specified time zone, and assign the event an optional transactionId
# value", the response to the "Let's go for lunch" request). As documented, including where the
# response differs from its request (subject "Let's go brunch", organizer Dana Swope, 11:00-12:00).
# Dropped: @odata fields, dates of creation and change, changeKey, categories, reminders, webLink,
# locations, hasAttachments, importance, sensitivity, transactionId, allowNewTimeProposals.
GRAPH_CREATE_EVENT = {
    "id": "AAMkAGI1AAAt9AHjAAA=",
    "originalStartTimeZone": "Pacific Standard Time",
    "originalEndTimeZone": "Pacific Standard Time",
    "iCalUId": "040000008200E00074C5B7101A82E00800000000DA2B357D94B5D20100000000000000001000000"
    "0EC4597557F0CB34EA4CC2887EA7B17C3",
    "hideAttendees": False,
    "subject": "Let's go brunch",
    "bodyPreview": "Does noon work for you?",
    "isAllDay": False,
    "isCancelled": False,
    "isDraft": False,
    "isOrganizer": True,
    "responseRequested": True,
    "seriesMasterId": None,
    "showAs": "busy",
    "type": "singleInstance",
    "onlineMeetingUrl": None,
    "isOnlineMeeting": False,
    "onlineMeetingProvider": "unknown",
    "onlineMeeting": None,
    "responseStatus": {"response": "organizer", "time": "0001-01-01T00:00:00Z"},
    "body": {
        "contentType": "html",
        "content": "<html><head></head><body>Does late morning work for you?</body></html>",
    },
    "start": {"dateTime": "2017-04-15T11:00:00.0000000", "timeZone": "Pacific Standard Time"},
    "end": {"dateTime": "2017-04-15T12:00:00.0000000", "timeZone": "Pacific Standard Time"},
    "location": {
        "displayName": "Harry's Bar",
        "locationType": "default",
        "uniqueId": "Harry's Bar",
        "uniqueIdType": "private",
    },
    "recurrence": None,
    "attendees": [
        {
            "type": "required",
            "status": {"response": "none", "time": "0001-01-01T00:00:00Z"},
            "emailAddress": {"name": "Samantha Booth", "address": "samanthab@contoso.com"},
        }
    ],
    "organizer": {"emailAddress": {"name": "Dana Swope", "address": "danas@contoso.com"}},
}

# https://learn.microsoft.com/en-us/graph/outlook-create-event-in-shared-delegated-calendar ("Step 3:
# Christie receives meeting request and inspects the associated event in her calendar", the event of
# the eventMessage: Christie Cline's copy of "Christmas dinner", which Alex Wilber organized;
# isOrganizer false). The resource attendee follows https://learn.microsoft.com/en-us/graph/api/
# resources/attendee?view=graph-rest-1.0 (type "required" | "optional" | "resource") and the
# "Setting the location in an event" steps of user-post-events; the room mailbox is "Conf Room 100"
# (cf100@contoso.com) of https://learn.microsoft.com/en-us/graph/api/place-get?view=graph-rest-1.0.
# Changed: responseStatus.response "none" -> "declined" (Christie, the calendar owner, declined);
# location "Alex' home" -> the room, with its locationEmailAddress. Added: the room as an attendee of
# type "resource" that accepted (time made up). Dropped: locations, reminders, dates, webLink.
GRAPH_WITH_ROOM = {
    "id": "AAMkADADVj3fyAABZ5ieyAAA=",
    "originalStartTimeZone": "Pacific Standard Time",
    "originalEndTimeZone": "Pacific Standard Time",
    "iCalUId": "040000008200FEFE0BA532444B5FD89BDE22BA103",
    "subject": "Christmas dinner",
    "bodyPreview": "Happy holidays!",
    "isAllDay": False,
    "isCancelled": False,
    "isOrganizer": False,
    "responseRequested": True,
    "seriesMasterId": None,
    "showAs": "tentative",
    "type": "singleInstance",
    "onlineMeetingUrl": None,
    "recurrence": None,
    "responseStatus": {"response": "declined", "time": "2019-12-21T05:16:48.8931825Z"},
    "body": {
        "contentType": "html",
        "content": '<html>\r\n<head>\r\n<meta http-equiv="Content-Type" content="text/html; charset=utf-8">'
        '\r\n<meta content="text/html; charset=us-ascii">\r\n</head>\r\n<body>\r\nHappy holidays!\r\n'
        "</body>\r\n</html>\r\n",
    },
    "start": {"dateTime": "2019-12-26T02:00:00.0000000", "timeZone": "UTC"},
    "end": {"dateTime": "2019-12-26T06:00:00.0000000", "timeZone": "UTC"},
    "location": {"displayName": "Conf Room 100", "locationEmailAddress": "cf100@contoso.com"},
    "attendees": [
        {
            "type": "required",
            "status": {"response": "none", "time": "0001-01-01T00:00:00Z"},
            "emailAddress": {"name": "Alex Wilber", "address": "AlexW@contoso.OnMicrosoft.com"},
        },
        {
            "type": "required",
            "status": {"response": "none", "time": "0001-01-01T00:00:00Z"},
            "emailAddress": {"name": "Megan Bowen", "address": "MeganB@contoso.OnMicrosoft.com"},
        },
        {
            "type": "required",
            "status": {"response": "none", "time": "0001-01-01T00:00:00Z"},
            "emailAddress": {"name": "Christie Cline", "address": "ChristieC@contoso.OnMicrosoft.com"},
        },
        {
            "type": "resource",
            "status": {"response": "accepted", "time": "2019-12-21T04:59:05Z"},
            "emailAddress": {"name": "Conf Room 100", "address": "cf100@contoso.com"},
        },
    ],
    "organizer": {"emailAddress": {"name": "Alex Wilber", "address": "AlexW@contoso.OnMicrosoft.com"}},
}

# https://learn.microsoft.com/en-us/graph/api/user-post-events?view=graph-rest-1.0 ("Example 3:
# Create a recurring event", the response: "Let's go for lunch" every Monday from 4 September 2017
# to 31 December 2017, organized by Alex Wilber with Adele Vance invited). As documented, including
# where it differs from its request (bodyPreview and body say "late morning"). Dropped: @odata
# fields, dates, changeKey, categories, reminders, webLink, locations, importance, sensitivity,
# allowNewTimeProposals.
GRAPH_SERIES_MASTER = {
    "id": "AAMkADQwMD",
    "originalStartTimeZone": "Pacific Standard Time",
    "originalEndTimeZone": "Pacific Standard Time",
    "iCalUId": "040000008200E00074C5B7101A82E0080000000028CEBE04293FD301000000000000000010000000"
    "9F85AB8AF8ED4D4FAC777FA89954BDB7",
    "hideAttendees": False,
    "subject": "Let's go for lunch",
    "bodyPreview": "Does late morning work for you?",
    "isAllDay": False,
    "isCancelled": False,
    "isDraft": False,
    "isOrganizer": True,
    "responseRequested": True,
    "seriesMasterId": None,
    "showAs": "busy",
    "type": "seriesMaster",
    "onlineMeetingUrl": None,
    "isOnlineMeeting": True,
    "onlineMeetingProvider": "unknown",
    "onlineMeeting": None,
    "responseStatus": {"response": "organizer", "time": "0001-01-01T00:00:00Z"},
    "body": {
        "contentType": "html",
        "content": '<html>\r\n<head>\r\n<meta http-equiv="Content-Type" content="text/html; charset=utf-8">'
        '\r\n<meta content="text/html; charset=us-ascii">\r\n</head>\r\n<body>\r\nDoes late morning work '
        "for you?\r\n</body>\r\n</html>\r\n",
    },
    "start": {"dateTime": "2017-09-04T12:00:00.0000000", "timeZone": "Pacific Standard Time"},
    "end": {"dateTime": "2017-09-04T14:00:00.0000000", "timeZone": "Pacific Standard Time"},
    "location": {
        "displayName": "Harry's Bar",
        "locationType": "default",
        "uniqueId": "Harry's Bar",
        "uniqueIdType": "private",
    },
    "recurrence": {
        "pattern": {
            "type": "weekly",
            "interval": 1,
            "month": 0,
            "dayOfMonth": 0,
            "daysOfWeek": ["monday"],
            "firstDayOfWeek": "sunday",
            "index": "first",
        },
        "range": {
            "type": "endDate",
            "startDate": "2017-09-04",
            "endDate": "2017-12-31",
            "recurrenceTimeZone": "Pacific Standard Time",
            "numberOfOccurrences": 0,
        },
    },
    "attendees": [
        {
            "type": "required",
            "status": {"response": "none", "time": "0001-01-01T00:00:00Z"},
            "emailAddress": {"name": "Adele Vance", "address": "AdeleV@contoso.com"},
        }
    ],
    "organizer": {"emailAddress": {"name": "Alex Wilber", "address": "AlexW@contoso.com"}},
}

# https://learn.microsoft.com/en-us/graph/api/event-list-instances?view=graph-rest-1.0 (the example
# response, whose request $selects subject, bodyPreview, seriesMasterId, type, recurrence, start and
# end): its second item, an "occurrence" of the series AAMkAGUzYRgWAAA=, and its first, an
# "exception" (the meeting moved from 15 to 16 April). As documented, without @odata.etag.
GRAPH_OCCURRENCE = {
    "id": "AAMkAGUzYAgI1ru1JMcAAEYAAAAAlNFb2CNPe0ucP9you",
    "subject": "Review strategy for Q3",
    "bodyPreview": "",
    "seriesMasterId": "AAMkAGUzYRgWAAA=",
    "type": "occurrence",
    "recurrence": None,
    "start": {"dateTime": "2019-04-08T20:30:00.0000000", "timeZone": "UTC"},
    "end": {"dateTime": "2019-04-08T21:00:00.0000000", "timeZone": "UTC"},
}
GRAPH_EXCEPTION = {
    "id": "AAMkAGUzYAgI1sE1TatAAEYAAAAAlNFb2CNPe0ucP9you",
    "subject": "Review strategy for Q3",
    "bodyPreview": "Changing meeting from 4/15 to 4/16.",
    "seriesMasterId": "AAMkAGUzYRgWAAA=",
    "type": "exception",
    "recurrence": None,
    "start": {"dateTime": "2019-04-16T20:30:00.0000000", "timeZone": "UTC"},
    "end": {"dateTime": "2019-04-16T21:00:00.0000000", "timeZone": "UTC"},
}

# https://learn.microsoft.com/en-us/graph/api/resources/event?view=graph-rest-1.0 (isAllDay: "Set to
# true if the event lasts all day. If true, regardless of whether it's a single-day or multi-day
# event, start, and endtime must be set to midnight and be in the same time zone."). No documented
# all-day payload exists: this is GRAPH_CREATE_EVENT's response made an all-day event on 15 April
# 2017: only isAllDay (true), start and end (midnight in its time zone, the end the next day) differ,
# so it keeps GRAPH_CREATE_EVENT's id and iCalUId (list the two together only under other ids).
GRAPH_ALL_DAY = {
    **copy.deepcopy(GRAPH_CREATE_EVENT),
    "isAllDay": True,
    "start": {"dateTime": "2017-04-15T00:00:00.0000000", "timeZone": "Pacific Standard Time"},
    "end": {"dateTime": "2017-04-16T00:00:00.0000000", "timeZone": "Pacific Standard Time"},
}


def listed(
    raw: dict,
    *,
    event_id: str,
    platform: str,
    start: str,
    end: str,
    meeting_url: str | None = "https://meet.google.com/abc-defg-hij",
    calendar_id: str = "cal_test",
) -> dict:
    """``raw`` as an item of MeetStream's ``GET /calendar/events`` (platform: "google_calendar" or
    "outlook_calendar"); the item holds a deep copy, so a test can change it freely."""
    return {
        "id": event_id,
        "start_time": start,
        "end_time": end,
        "calendar_id": calendar_id,
        "platform": platform,
        "platform_id": raw.get("id", event_id),
        "ical_uid": raw.get("iCalUID") or raw.get("iCalUId") or f"{event_id}@test",
        "meeting_url": meeting_url,
        "meeting_platform": None,
        "is_deleted": False,
        "bots": [],
        "raw": copy.deepcopy(raw),
    }
