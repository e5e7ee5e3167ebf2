"""Components render state; they hold no logic of their own."""
