"""Django admin, for technical administrators only (superusers, see urls.py).

It holds the structure (municipalities, schools, calendars, classes, roles, reasons)
and no personal data about pupils: pupils, guardians and absence are read and edited
in the product, where the access policy decides and every change keeps who and when.
"""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from fravaer import models
from fravaer.actions.people import staff_changed


class _StaffChangesFollowed:
    """Roles and assignments changed here go through `fravaer.actions.people`, so that
    what follows in the cases app (a case needing a new owner) happens in the same
    transaction as the change."""

    def save_model(self, request, obj, form, change):
        before = type(obj).objects.filter(pk=obj.pk).values_list("user_id", flat=True).first()
        super().save_model(request, obj, form, change)
        staff_changed({obj.user_id, before} - {None})

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        staff_changed([obj.user_id])

    def delete_queryset(self, request, queryset):
        users = set(queryset.values_list("user_id", flat=True))
        super().delete_queryset(request, queryset)
        staff_changed(users)


@admin.register(models.User)
class StaffUserAdmin(UserAdmin):
    list_display = ("username", "first_name", "last_name", "is_active", "is_superuser")


@admin.register(models.Municipality)
class MunicipalityAdmin(admin.ModelAdmin):
    search_fields = ("name",)


@admin.register(models.SchoolYear)
class SchoolYearAdmin(admin.ModelAdmin):
    list_display = ("label", "start", "end")


class NonSchoolDayInline(admin.TabularInline):
    model = models.NonSchoolDay
    extra = 0


@admin.register(models.School)
class SchoolAdmin(admin.ModelAdmin):
    list_display = ("name", "municipality")
    list_filter = ("municipality",)
    search_fields = ("name",)
    inlines = [NonSchoolDayInline]


@admin.register(models.Group)
class GroupAdmin(admin.ModelAdmin):
    list_display = ("name", "school", "school_year", "grade", "lessons_per_day")
    list_filter = ("school", "school_year", "grade")

    def get_readonly_fields(self, request, obj=None):
        # A class stays at its school: its flags carry the school, checked against the
        # class by the (group, school) key on PostgreSQL (migration 0007).
        return ("school",) if obj is not None else ()


@admin.register(models.StaffRole)
class StaffRoleAdmin(_StaffChangesFollowed, admin.ModelAdmin):
    list_display = ("user", "role", "school", "municipality")
    list_filter = ("role",)


@admin.register(models.TeachingAssignment)
class TeachingAssignmentAdmin(_StaffChangesFollowed, admin.ModelAdmin):
    list_display = ("user", "group", "kind", "subject", "valid_from", "valid_to")
    list_filter = ("kind",)


@admin.register(models.AbsenceReason)
class AbsenceReasonAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "name_nn", "name_en", "municipality", "order", "active")
    list_filter = ("municipality", "active")
