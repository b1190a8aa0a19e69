"""Schemas of the calendar-feed API."""

from __future__ import annotations

from marshmallow import Schema, fields


class CalendarFeedSchema(Schema):
    class Meta:
        ordered = True

    url = fields.String(required=True, metadata={
        "description": "调用者本人课表的日历订阅地址（https，不需要登录即可获取，请勿公开）：iCalendar "
                       "（RFC 5545）格式，包含调用者本人的全部课次（已取消的标为 STATUS:CANCELLED）"})
    webcal_url = fields.String(required=True, metadata={
        "description": "同一地址的 webcal:// 形式，手机打开即可订阅"})
    created_at = fields.AwareDateTime(required=True, metadata={
        "description": "该地址的生成时间；在“日历订阅”页面重新生成或停止订阅后，原地址失效"})
