from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = "Partner Portal"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in, user_login_failed
        from django.core.signals import got_request_exception
        from django.db.models.signals import post_migrate

        from portal import log_redaction, signals
        from portal.request_context import remember_failure
        from portal.staff.sessions import session_started

        log_redaction.install()
        # A request that fails says why on its access line.
        got_request_exception.connect(remember_failure, dispatch_uid="portal.remember_failure")
        user_logged_in.connect(session_started, dispatch_uid="portal.session_started")
        user_login_failed.connect(
            signals.audit_sign_in_failed, dispatch_uid="portal.audit_sign_in_failed"
        )
        # `migrate` runs at every start (docker/entrypoint.sh): live mode retires the demo account.
        post_migrate.connect(
            signals.retire_demo_accounts, sender=self, dispatch_uid="portal.retire_demo_accounts"
        )
