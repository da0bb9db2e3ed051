"""Every Impulse entity, action and field name the client uses, in one place.

No vendor reference exists (DESIGN §7, docs/impulse_api.md): these names are what working
integrations use, and for ``reservation`` they are our own choice. Changing an assumption
means changing ``docs/impulse_api.md`` and this module, nothing else.
"""

from __future__ import annotations

from typing import Final

# entities
STYLE: Final = "style"
TEACHER: Final = "teacher"
HALL: Final = "hall"
GROUP: Final = "group"
SCHEDULE: Final = "schedule"
CLIENT: Final = "client"
RESERVATION: Final = "reservation"  # assumption: the entity name is ours

# actions
LIST: Final = "list"
LOAD: Final = "load"
UPDATE: Final = "update"
DELETE: Final = "delete"

# list request / answer
LIST_FIELDS: Final = "fields"
LIST_LIMIT: Final = "limit"
LIST_PAGE: Final = "page"
LIST_SORT: Final = "sort"
LIST_COLUMNS: Final = "columns"
LIST_TOTAL: Final = "total"
LIST_ITEMS: Final = "items"
SORT_ASC: Final = "asc"
RANGE_FROM: Final = "from"
RANGE_TO: Final = "to"

# refusal body: {"error": {"code": ..., "message": ...}}
ERROR: Final = "error"
ERROR_CODE: Final = "code"
ERROR_MESSAGE: Final = "message"

# fields shared by several entities
ID: Final = "id"
NAME: Final = "name"
LAST_NAME: Final = "lastName"
DELETED: Final = "deleted"
ARCHIVED: Final = "archived"
CREATED: Final = "created"

# group
GROUP_STYLE: Final = "style"
GROUP_TEACHER: Final = "teacher1"
GROUP_PLACES: Final = "placeCount"

# schedule (a weekly rule)
SCHEDULE_GROUP: Final = "group"
SCHEDULE_HALL: Final = "hall"
SCHEDULE_TEACHER: Final = "teacher"
SCHEDULE_DAY: Final = "day"  # 1 = Monday … 7 = Sunday
SCHEDULE_MINUTES_BEGIN: Final = "minutesBegin"
SCHEDULE_MINUTES_END: Final = "minutesEnd"
SCHEDULE_DATE_BEGIN: Final = "dateBegin"
SCHEDULE_DATE_END: Final = "dateEnd"

# client
CLIENT_PHONE: Final = "phone"  # assumption: digits only, "79991234567"

# reservation — assumption: field names chosen by us (DESIGN §7)
RESERVATION_CLIENT: Final = "client"
RESERVATION_SCHEDULE: Final = "schedule"
RESERVATION_DATE: Final = "date"
RESERVATION_DELETED: Final = "deleted"

# refusal codes
CODE_NOT_FOUND: Final = "not_found"
CODE_PLACE_LIMIT: Final = "place_limit"
CODE_ALREADY_BOOKED: Final = "already_booked"
CODE_LESSON_IN_PAST: Final = "lesson_in_past"
CODE_VALIDATION: Final = "validation"
