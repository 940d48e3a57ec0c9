"""Import types of the recall app (``zhijian import-data <type> FILE``)."""
from .openfda import OpenFdaEnforcementImporter

IMPORTERS = {OpenFdaEnforcementImporter.name: OpenFdaEnforcementImporter}
