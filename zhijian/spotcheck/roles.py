"""Default role permissions on spot checks (DESIGN §2)."""

ROLE_PERMISSIONS = {
    "province_admin": {"spotcheck.inspectorconflict": "vacd", "spotcheck.plan": "vacd", "spotcheck.planlab": "vacd", "spotcheck.draw": "vac",
                       "spotcheck.task": "vc", "spotcheck.testitem": "v"},
    "officer": {"spotcheck.inspectorconflict": "vacd", "spotcheck.plan": "vacd", "spotcheck.planlab": "vacd", "spotcheck.draw": "vac",
                "spotcheck.task": "vc", "spotcheck.testitem": "v"},
    # inspectors and labs work on their own tasks; enterprises may object to their own results
    "inspector": {"spotcheck.plan": "v", "spotcheck.task": "vc", "spotcheck.testitem": "v",
                  "spotcheck.draw": "v"},
    "lab": {"spotcheck.plan": "v", "spotcheck.planlab": "v", "spotcheck.task": "vc",
            "spotcheck.testitem": "vac"},
    "enterprise": {"spotcheck.plan": "v", "spotcheck.task": "vc", "spotcheck.testitem": "v"},
    "agency": {"spotcheck.plan": "v", "spotcheck.draw": "v", "spotcheck.task": "v",
               "spotcheck.testitem": "v"},
}
