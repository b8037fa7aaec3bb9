"""Input and output shapes of the auth and user endpoints. Serializers validate; they never save."""

from rest_framework import serializers

from apps.core.api.fields import PhoneNumberField
from apps.core.api.serializers import OutputModelSerializer

from ..models import Branch, Team, User
from ..roles import Role


class UserOutputSerializer(OutputModelSerializer):
    """Seed 003 login `user` block, plus profile fields."""

    permissions = serializers.ListField(child=serializers.CharField(), read_only=True)
    full_name = serializers.CharField(source="get_full_name", read_only=True)
    team = serializers.PrimaryKeyRelatedField(read_only=True)
    branch = serializers.PrimaryKeyRelatedField(read_only=True)

    class Meta:
        model = User
        fields = [
            "id",
            "email",
            "first_name",
            "last_name",
            "full_name",
            "phone",
            "role",
            "permissions",
            "status",
            "department",
            "job_title",
            "certification_level",
            "team",
            "branch",
            "mfa_enabled",
            "is_active",
            "last_login",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class LoginInputSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=255)
    password = serializers.CharField(max_length=256, trim_whitespace=False)
    remember_me = serializers.BooleanField(required=False, default=False)


class TokenPairOutputSerializer(serializers.Serializer):
    access_token = serializers.CharField()
    refresh_token = serializers.CharField()
    token_type = serializers.CharField()
    expires_in = serializers.IntegerField()


class LoginOutputSerializer(TokenPairOutputSerializer):
    user = UserOutputSerializer()


class MfaChallengeOutputSerializer(serializers.Serializer):
    mfa_required = serializers.BooleanField()
    mfa_token = serializers.CharField()
    expires_in = serializers.IntegerField()


class RefreshInputSerializer(serializers.Serializer):
    refresh_token = serializers.CharField(max_length=2000)


class RegisterInputSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=255)
    password = serializers.CharField(max_length=256, trim_whitespace=False)
    first_name = serializers.CharField(max_length=100)
    last_name = serializers.CharField(max_length=100)
    phone = PhoneNumberField()


class ForgotPasswordInputSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=255)


class ResetPasswordInputSerializer(serializers.Serializer):
    token = serializers.CharField(max_length=300)
    password = serializers.CharField(max_length=256, trim_whitespace=False)


class ChangePasswordInputSerializer(serializers.Serializer):
    current_password = serializers.CharField(max_length=256, trim_whitespace=False)
    new_password = serializers.CharField(max_length=256, trim_whitespace=False)


class MeUpdateInputSerializer(serializers.Serializer):
    first_name = serializers.CharField(max_length=100, required=False)
    last_name = serializers.CharField(max_length=100, required=False)
    phone = PhoneNumberField()


class MfaSetupOutputSerializer(serializers.Serializer):
    otpauth_uri = serializers.CharField()
    secret = serializers.CharField()
    digits = serializers.IntegerField()
    period = serializers.IntegerField()


class MfaVerifyInputSerializer(serializers.Serializer):
    code = serializers.RegexField(r"^\s*\d{6,8}\s*$", error_messages={"invalid": "Enter the 6-digit code."})
    mfa_token = serializers.CharField(required=False, max_length=1000)


class LogoutInputSerializer(serializers.Serializer):
    """Seed 003 signs out with the bearer header alone; a refresh token in the body is still accepted."""

    refresh_token = serializers.CharField(max_length=2000, required=False)


class UserCreateInputSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=255)
    first_name = serializers.CharField(max_length=100)
    last_name = serializers.CharField(max_length=100)
    role = serializers.ChoiceField(choices=Role.choices)
    password = serializers.CharField(max_length=256, required=False, trim_whitespace=False)
    phone = PhoneNumberField()
    department = serializers.CharField(max_length=100, required=False, allow_blank=True)
    job_title = serializers.CharField(max_length=100, required=False, allow_blank=True)
    certification_level = serializers.IntegerField(min_value=0, max_value=10, required=False, allow_null=True)
    team = serializers.PrimaryKeyRelatedField(queryset=Team.objects.all(), required=False, allow_null=True)
    branch = serializers.PrimaryKeyRelatedField(queryset=Branch.objects.all(), required=False, allow_null=True)


class UserUpdateInputSerializer(serializers.Serializer):
    first_name = serializers.CharField(max_length=100, required=False)
    last_name = serializers.CharField(max_length=100, required=False)
    role = serializers.ChoiceField(choices=Role.choices, required=False)
    status = serializers.ChoiceField(choices=User.Status.choices, required=False)
    is_active = serializers.BooleanField(required=False)
    phone = PhoneNumberField()
    department = serializers.CharField(max_length=100, required=False, allow_blank=True)
    job_title = serializers.CharField(max_length=100, required=False, allow_blank=True)
    certification_level = serializers.IntegerField(min_value=0, max_value=10, required=False, allow_null=True)
    team = serializers.PrimaryKeyRelatedField(queryset=Team.objects.all(), required=False, allow_null=True)
    branch = serializers.PrimaryKeyRelatedField(queryset=Branch.objects.all(), required=False, allow_null=True)


class TeamSerializer(OutputModelSerializer):
    class Meta:
        model = Team
        fields = ["id", "name", "branch", "manager", "created_at", "updated_at"]
        read_only_fields = ["id", "created_at", "updated_at"]


class TeamMembersInputSerializer(serializers.Serializer):
    """Seed 004 "add a member to a team": `user_id`; or the whole membership at once: `member_ids`."""

    user_id = serializers.IntegerField(required=False, min_value=1)
    member_ids = serializers.ListField(child=serializers.IntegerField(min_value=1), required=False, max_length=500)

    def validate(self, attrs):
        if "user_id" not in attrs and "member_ids" not in attrs:
            raise serializers.ValidationError({"user_id": ["Give user_id (add one) or member_ids (the whole team)."]})
        return attrs


class TeamMemberSerializer(OutputModelSerializer):
    name = serializers.CharField(source="get_full_name")

    class Meta:
        model = User
        fields = ["id", "name", "email", "role"]
        read_only_fields = fields


class TeamWithMembersSerializer(OutputModelSerializer):
    members = TeamMemberSerializer(many=True, source="member_rows")

    class Meta:
        model = Team
        fields = ["id", "name", "branch", "manager", "members", "created_at", "updated_at"]
        read_only_fields = fields


class BranchSerializer(OutputModelSerializer):
    class Meta:
        model = Branch
        fields = ["id", "code", "name", "city", "is_active", "created_at", "updated_at"]
        read_only_fields = ["id", "created_at", "updated_at"]
