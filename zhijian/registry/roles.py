"""Default role permissions on the registry (DESIGN §2); editable as groups in the admin."""

REFERENCE = ["division", "industry", "productcategory", "standard"]
REGIONAL = ["enterprise", "product", "standarddeclaration", "certification", "lab",
            "inspector", "award", "brand"]


def _all(models, letters):
    return {f"registry.{m}": letters for m in models}


ROLE_PERMISSIONS = {
    "province_admin": {**_all(REFERENCE, "vacd"), **_all(REGIONAL, "vacd")},
    "officer": {**_all(REFERENCE, "v"), **_all(REGIONAL, "vacd")},
    "inspector": {**_all(REFERENCE, "v"), **_all(REGIONAL, "v")},
    "lab": {**_all(REFERENCE, "v"), **_all(REGIONAL, "v"), "registry.lab": "vc"},
    "enterprise": {
        **_all(REFERENCE, "v"), **_all(REGIONAL, "v"),
        "registry.product": "vacd",
        "registry.standarddeclaration": "vacd",
    },
    "agency": {**_all(REFERENCE, "v"), **_all(REGIONAL, "v")},
}
