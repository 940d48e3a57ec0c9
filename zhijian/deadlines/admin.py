from django.contrib import admin

from .models import CalendarDay, TimeLimit


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    list_display = ("date", "is_workday", "name", "note")
    list_filter = ("is_workday",)
    date_hierarchy = "date"


@admin.register(TimeLimit)
class TimeLimitAdmin(admin.ModelAdmin):
    list_display = ("key", "title", "amount", "unit", "valid_from", "source")
    list_filter = ("unit",)
    search_fields = ("key", "title", "source")
