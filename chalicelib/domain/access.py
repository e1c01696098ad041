"""Who may do what: a caller's role comes from OptClass's own records, never from a claim.

A token proves who the caller is (`sub`) and which company they sign in to. Their role is
the one their record gives: a staff member's `role` (admin, staff or teacher), or `student`
for a student's login. A role claim in the token may narrow it (an admin acting as a
teacher) but never widen it; a claim that is not a narrowing is ignored and the record's
role applies. A login with no record in the company has no role at all.
"""

ADMIN, STAFF, TEACHER, STUDENT = "admin", "staff", "teacher", "student"
ROLES = (ADMIN, STAFF, TEACHER, STUDENT)
_RANK = {ADMIN: 3, STAFF: 2, TEACHER: 1}  # the staff side, from most to least allowed


def role_of(record_role: str | None, claimed: str | None) -> str | None:
    """The role a caller acts in: the record's, or a narrower one they claimed."""
    if record_role not in ROLES:
        return None
    if claimed in _RANK and record_role in _RANK and _RANK[claimed] < _RANK[record_role]:
        return claimed
    return record_role
