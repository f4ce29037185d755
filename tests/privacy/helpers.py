"""Give an existing account a login phone, as a phone-code login would have."""

from sqlalchemy import update

from app.auth.models import User
from app.auth.secrets import keyed_digest, mask_phone


async def give_phone(session, app, user, phone: str) -> None:
    """Set the account's phone digest and mask (the number itself is never stored)."""
    await session.execute(
        update(User)
        .where(User.id == user.id)
        .values(
            phone_digest=keyed_digest(app.state.settings.secret_key, "phone", phone), phone_masked=mask_phone(phone)
        )
    )
    await session.commit()
