"""The e-mail that carries the profile link, composed and sent by the worker."""

from celery import shared_task


@shared_task(bind=True, autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def send_profile_link(self, email: str, language: str) -> None:
    from .emails import profile_link_email_send
    from .services import profile_address_linked

    # Every request is queued alike (the form's answer and time are the same for every
    # address); an address no open organisation links is dropped here, sending nothing.
    if not profile_address_linked(email):
        return
    profile_link_email_send(email=email, language=language)
