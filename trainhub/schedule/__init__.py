"""Scheduling: sessions (课次) one at a time or from a recurrence rule, holidays, phase
windows, clashes, rescheduling and cancelling, timetables, calendar feeds and the schedule
import. The catalogue it schedules (programme, phases, tracks, courses, venues) is the
``courses`` feature's."""
