from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, EmailStr, Field, ValidationInfo, field_validator

from .passwords import MAX_LENGTH, MIN_LENGTH, password_problem

# PostgreSQL refuses the NUL character in text, and no name needs one.
FullName = Annotated[str, Field(max_length=200, pattern=r"^[^\x00]*$")]
# Typed in any case, kept in lower case: @Ada and @ada are one user.
Username = Annotated[
    str,
    Field(min_length=3, max_length=30, pattern=r"^[A-Za-z0-9_]+$"),
    AfterValidator(str.lower),
]
Email = Annotated[EmailStr, Field(max_length=320), AfterValidator(str.lower)]
Password = Annotated[
    str, Field(min_length=MIN_LENGTH, max_length=MAX_LENGTH, pattern=r"^[^\x00]*$")
]


class SignupRequest(BaseModel):
    email: Email
    username: Username
    password: Password
    full_name: FullName = ""

    @field_validator("password")
    @classmethod
    def password_is_acceptable(cls, password: str, info: ValidationInfo) -> str:
        # The fields above are validated first: info.data holds those that were valid.
        problem = password_problem(password, info.data.get("email"), info.data.get("username"))
        if problem:
            raise ValueError(problem)
        return password


class Token(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int  # seconds
