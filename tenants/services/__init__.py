"""State changes of organisations, users and memberships (keyword-only, one transaction),
one module per concern: provisioning (and the address rules), the owner's e-mail
verification, colleagues' invitations, the organisation's settings and logo, consultants,
closing the organisation and its export."""

from .closure import (
    closure_archive_path,
    closure_archive_ready,
    closure_archives_requeue,
    closure_done_email_send,
    is_closing,
    organisation_closure_cancel,
    organisation_closure_request,
    organisations_close_due,
    schema_drop,
)
from .closure_archive import closure_archive_build, schema_tables
from .consultants import consultant_assignment_end
from .invitations import (
    invitation_accept,
    invitation_create,
    invitation_find,
    invitation_url,
    member_invite,
    token_hash,
)
from .organisation_settings import (
    LOGO_FORMATS,
    LOGO_MAX_BYTES,
    LOGO_MAX_SIDE,
    LOGO_STORED_MAX_SIDE,
    NotAnImage,
    bounded_image,
    organisation_update,
)
from .provisioning import (
    RESERVED_SLUGS,
    TRIAL_DAYS,
    is_reserved_slug,
    organisation_provision,
    schema_name_for,
    slug_validate,
)
from .register import (
    CHOSEN_PURPOSES,
    LEGAL_BASES,
    organisation_legal_bases,
    organisation_legal_bases_update,
    organisation_privacy_update,
)
from .verification import (
    VERIFY_SALT,
    owner_email_resend,
    owner_email_verify,
    require_verified,
    unverified_organisations_drop,
    verification_send,
    verification_url,
)

__all__ = [
    "CHOSEN_PURPOSES", "LEGAL_BASES", "organisation_legal_bases",
    "organisation_legal_bases_update", "organisation_privacy_update", "closure_archive_build",
    "closure_archive_path",
    "closure_archive_ready", "closure_archives_requeue",
    "closure_done_email_send", "is_closing", "organisation_closure_cancel",
    "organisation_closure_request", "organisations_close_due", "schema_drop", "schema_tables",
    "LOGO_FORMATS", "LOGO_MAX_BYTES", "LOGO_MAX_SIDE", "LOGO_STORED_MAX_SIDE", "RESERVED_SLUGS",
    "TRIAL_DAYS", "VERIFY_SALT", "NotAnImage", "bounded_image", "consultant_assignment_end",
    "invitation_accept", "invitation_create", "invitation_find", "invitation_url",
    "is_reserved_slug", "member_invite", "organisation_provision", "organisation_update",
    "owner_email_resend", "owner_email_verify", "require_verified", "schema_name_for",
    "slug_validate", "token_hash", "unverified_organisations_drop", "verification_send",
    "verification_url",
]
