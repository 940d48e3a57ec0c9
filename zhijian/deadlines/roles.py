"""Province admins keep the calendar and the time limits; everyone else reads them."""

MODELS = ["deadlines.calendarday", "deadlines.timelimit"]

ROLE_PERMISSIONS = {
    "province_admin": {m: "vacd" for m in MODELS},
    **{role: {m: "v" for m in MODELS}
       for role in ("officer", "inspector", "lab", "enterprise", "agency")},
}
