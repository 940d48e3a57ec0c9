"""Default role permissions on traceability and recalls (DESIGN §2).

Operators record their own lots and movements (an enterprise user holds its own lots; a
movement belongs to both its ends), report defects of their own products and file recall
progress; officers run recall cases in their division and below; published recall records are
public (the portal, the public API).
"""

ROLE_PERMISSIONS = {
    "province_admin": {"recall.lot": "vacd", "recall.movement": "vacd", "recall.recallcase": "vacd",
                       "recall.recallrecord": "vacd"},
    "officer": {"recall.lot": "vacd", "recall.movement": "vacd", "recall.recallcase": "vac",
                "recall.recallrecord": "v"},
    "inspector": {"recall.lot": "v", "recall.movement": "v", "recall.recallcase": "v", "recall.recallrecord": "v"},
    "enterprise": {"recall.lot": "vacd", "recall.movement": "vacd", "recall.recallcase": "va",
                   "recall.recallrecord": "v"},
    "agency": {"recall.recallrecord": "v"},
}
