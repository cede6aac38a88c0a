"""Django admin, for administrators only (see urls.py). Absence itself is edited in
the product, where every change keeps who and when; here it is read-only."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from fravaer import models


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


@admin.register(models.Pupil)
class PupilAdmin(admin.ModelAdmin):
    list_display = ("pupil_id", "last_name", "first_name", "municipality")
    search_fields = ("pupil_id", "last_name", "first_name")
    readonly_fields = ("uuid",)


@admin.register(models.Enrollment)
class EnrollmentAdmin(admin.ModelAdmin):
    list_display = ("pupil", "group", "start", "end")
    list_select_related = ("pupil", "group")
    raw_id_fields = ("pupil",)


@admin.register(models.Guardian)
class GuardianAdmin(admin.ModelAdmin):
    list_display = ("name", "phone", "email")
    raw_id_fields = ("pupils",)


@admin.register(models.StaffRole)
class StaffRoleAdmin(admin.ModelAdmin):
    list_display = ("user", "role", "school", "municipality")
    list_filter = ("role",)


@admin.register(models.TeachingAssignment)
class TeachingAssignmentAdmin(admin.ModelAdmin):
    list_display = ("user", "group", "kind", "subject", "valid_from", "valid_to")
    list_filter = ("kind",)


@admin.register(models.AbsenceReason)
class AbsenceReasonAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "name_nn", "name_en", "municipality", "order", "active")
    list_filter = ("municipality", "active")


@admin.register(models.AbsenceRecord)
class AbsenceRecordAdmin(admin.ModelAdmin):
    list_display = ("pupil", "date", "kind", "documented", "reason", "deleted_at")
    list_select_related = ("pupil", "reason")
    date_hierarchy = "date"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
