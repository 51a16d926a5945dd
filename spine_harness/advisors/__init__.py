"""Supabase's own database linter (the "advisors", splinter's lints), run by the pinned
Supabase CLI against the target's direct database login."""
