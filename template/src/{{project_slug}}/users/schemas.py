from datetime import datetime

from pydantic import BaseModel, ConfigDict, EmailStr, Field


class UserCreate(BaseModel):
    email: EmailStr = Field(max_length=320)
    full_name: str = Field(default="", max_length=200)


class UserUpdate(BaseModel):
    email: EmailStr | None = Field(default=None, max_length=320)
    full_name: str | None = Field(default=None, max_length=200)
    is_active: bool | None = None


class UserRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    email: EmailStr
    full_name: str
    is_active: bool
    created_at: datetime
