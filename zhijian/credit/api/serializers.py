from rest_framework import serializers

from zhijian.core.api import ScopedModelSerializer

from .. import models


class GradeSerializer(ScopedModelSerializer):
    uscc = serializers.CharField(source="enterprise.uscc", read_only=True)
    enterprise_name = serializers.CharField(source="enterprise.name", read_only=True)
    method = serializers.CharField(source="method.version", read_only=True)

    class Meta:
        model = models.Grade
        fields = ["id", "enterprise", "uscc", "enterprise_name", "method", "run", "as_of", "score",
                  "grade", "risk_class", "computed_at", "explanation"]
        read_only_fields = fields
        # the public sees grades, not the events behind them
        private_fields = ["explanation"]
