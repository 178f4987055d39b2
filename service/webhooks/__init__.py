"""Webhooks (Standard Webhooks): departments' endpoints, the outbox written in the transaction of
each change, and the delivery job."""
