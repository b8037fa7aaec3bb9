"""Messaging services: the consent gate (`consent`), addresses (`addresses`), sending and receiving messages
(`messages`), provider webhooks (`webhooks`), WhatsApp templates (`whatsapp`), SMS body rules (`sms`)."""
