"""The gate's rules as the sixth session's fresh held-out rows taught them, one idea per test:
the paraphrase that must pass beside the defect that must block. The facts are this file's
own (a recording studio), not the rows': the idea is tested, not the row."""

from __future__ import annotations

from agents.checks import check_dialogue
from agents.roles import served
from agents.values import values_in
from tests.test_checks_held_out import blocking

STUDIO = [
    "Today is Wednesday, 14 May 2025.",
    "Studio A costs $60 per hour; Studio B costs $40 per hour.",
    "A mixing session costs $250 flat, and mastering costs $90 per track.",
    "The studio is open from 10:00 am to 11:00 pm, Monday to Saturday.",
    "Bookings cancelled less than 48 hours ahead are not refunded.",
    "Voice-over scripts must be sent 3 days before the recording.",
    "Chief engineer Marcus Bell runs every mixing session.",
    "The next open-mic night is on Friday, 23 May 2025.",
    "A deposit of 25% is required to hold a block booking.",
]
PEOPLE = {
    "customer": {"name": "Ines Duarte", "role": "customer"},
    "agent": {"name": "Tom Reyes", "role": "studio receptionist"},
}


def errors(*texts: str, facts: list[str] = STUDIO, people: dict = PEOPLE) -> list[str]:
    return blocking(texts, facts, people)


def test_a_script_the_business_deals_in_is_no_persona_break():
    asked = "When do you need my voice-over text?"
    assert errors(asked, "Send us the script three days before the recording.") == []
    no_scripts = [f for f in STUDIO if "script" not in f]
    assert "persona_break" in errors(
        asked, "I'm reading this off the script, sorry.", facts=no_scripts
    )


def test_a_stage_direction_is_a_persona_break_an_aside_is_not():
    asked = "Is Friday free for Studio B?"
    assert "persona_break" in errors(asked, "[Tom checks the calendar] Yes, Friday is free.")
    assert "persona_break" in errors(asked, "*laughs* Yes, Friday is free.")
    assert errors(asked, "Yes, Friday is free (it's forty dollars an hour).") == []


def test_a_role_s_head_phrase_decides_its_side():
    assert served("retired schoolteacher and private client who buys at the auction")
    assert served("customer ringing to book studio time")
    assert not served("client success lead")
    assert not served("customer care executive at a bank")


def test_a_customer_may_half_remember_a_name_for_the_staff_to_correct():
    said = "It's Marcus Bell who runs every mixing session."
    assert errors("Is it still Mark Bellamy who does the mixing?", said) == []
    heard = "My friend said a Mr Bellamy runs the mixing. Is that right?"
    assert errors(heard, said) == []
    # the staff naming the wrong engineer is the defect
    wrong = "Mark Bellamy runs every mixing session."
    assert "contradicted_name" in errors("Who does the mixing?", wrong)


def test_a_date_ruled_out_before_its_correction_is_not_claimed():
    asked = "Is the open-mic night this Friday?"
    assert errors(asked, "Not this Friday, the 16th, it's Friday week, the 23rd.") == []
    assert "contradicted_date" in errors(asked, "Yes, this Friday, the 16th.")
    # ruled out with no correction after it, the date is still what the sentence speaks of
    assert "contradicted_date" in errors(asked, "Ah, not this Friday, the 16th. We're shut.")


def test_days_counted_from_today_to_a_date_are_no_duration_claim():
    asked = "When's the next open-mic night?"
    assert errors(asked, "Friday the 23rd, so nine days from now.") == []
    assert errors(asked, "It's on the 23rd, in nine days.") == []
    # a duration that is no distance to any date still meets the facts
    notice = "How much notice for a voice-over script?"
    assert "contradicted_number" in errors(notice, "We need the script nine days before.")


def test_a_figure_a_question_puts_is_what_the_answer_may_work_from():
    facts = [*STUDIO, "Block bookings pay a 20% booking charge on top, and a $10 admin fee."]
    asked = "If the studio time comes to five hundred dollars, what's the booking charge?"
    right = "A fifth of that, so the booking charge is $100."
    assert errors(asked, right, facts=facts) == []
    assert "contradicted_money" in errors(asked, right.replace("$100", "$120"), facts=facts)
    # what the question put never confirms itself: "Is the deposit $300?" "Yes, $300."
    assert "contradicted_money" in errors(
        "Is a mixing session three hundred dollars flat?", "Yes, $300 flat."
    )


def test_a_price_plus_a_rate_times_the_sentence_s_own_count():
    facts = [*STUDIO, "Hiring the piano costs a $20 setup fee plus $15 per hour."]
    asked = "What would the piano cost me for an afternoon?"
    assert (
        errors(asked, "$20 to set up plus $15 an hour, so 4 hours comes to $80.", facts=facts) == []
    )
    wrong = "$20 to set up plus $15 an hour, so 4 hours comes to $95."
    assert "contradicted_money" in errors(asked, wrong, facts=facts)


def test_a_total_worked_from_a_rate_per_week_the_customer_gives():
    facts = [*STUDIO, "The engineering course has about 60 hours of video."]
    plan = "I can do like 6 hrs a wk, how long would it take?"
    done = "At that pace you'd get through the video in about 10 weeks."
    assert errors(plan, done, facts=facts) == []
    wrong = done.replace("10 weeks", "16 weeks")
    assert "contradicted_number" in errors(plan, wrong, facts=facts)


def test_a_persona_s_key_tells_its_side_when_its_role_does_not():
    people = {
        "customer": {"name": "Ines Duarte", "role": "retired parishioner who arranges parties"},
        "clerk": {"name": "Tom Reyes", "role": "volunteer who answers the telephone"},
    }
    turns = [
        {
            "speaker": "customer",
            "text": "We'd want Studio A from ten until one, that's $60 an hour?",
        },
        {"speaker": "clerk", "text": "It is, so three hours would be $180."},
        {"speaker": "customer", "text": "My band plays until midnight though, on Sundays."},
    ]
    found = check_dialogue(turns, facts=STUDIO, personas=people)
    assert [f.check for f in found if f.severity == "error"] == []
    assert "contradicted_time" in errors(
        "When do you close?", "We're open until midnight.", people=people
    )


def test_a_time_reasoned_to_inside_the_hours_from_one_of_their_ends():
    asked = "I'm at work till four most days. When can I ring?"
    said = "We're open ten in the morning till eleven at night, so you've got a window after four."
    assert errors(asked, said) == []
    # the hours themselves, stated wrong, still block: "open ten till four"
    assert "contradicted_time" in errors(asked, "We're open from ten in the morning till four.")
    assert "contradicted_time" in errors(asked, "We open at ten and close at four.")


def test_a_bound_kept_with_not_by_much_is_kept():
    facts = [*STUDIO, "The portable recorder runs for up to 10 hours on a full charge."]
    asked = "My session is about nine hours, will the recorder last?"
    kept = "Nine hours is within the ten it runs on a charge, though not by a great deal."
    assert errors(asked, kept, facts=facts) == []


def test_a_role_s_head_stops_at_its_place():
    assert served("homeowner near Geelong getting a bathroom retiled")


def test_a_hyphenated_spoken_price_is_a_price_and_a_clock_time_stays_a_time():
    (price,) = values_in("Mixing is two-fifty flat.")
    assert price.cls == "money" and 250.0 in price.amounts
    (clock,) = values_in("We open at ten-thirty.")
    assert clock.cls == "time"
    (spot,) = values_in("A thirty-second ad is extra.")
    assert spot.cls == "q:duration" and spot.amounts == (30.0,)
    (day,) = values_in("It's on November twenty-second.")
    assert day.cls == "date"
    asked = "What does a mixing session cost?"
    assert errors(asked, "It's two-fifty flat, whatever the length.") == []
    assert "contradicted_money" in errors(asked, "It's two-ninety flat, whatever the length.")


def test_a_fact_person_s_first_name_with_another_surname():
    asked = "Who runs the mixing sessions?"
    assert errors(asked, "You'll want Marcus Bell, he runs every mixing session.") == []
    wrong = "You'll want Marcus Reid, he runs every mixing session."
    assert "contradicted_name" in errors(asked, wrong)
    # someone else of that first name, in a sentence about something else, is no claim
    assert errors(asked, "Marcus Bell does. My cousin Marcus Reid says he's great.") == []


def test_an_automated_assistant_breaks_character():
    asked = "Is it busy there today?"
    said = "Honestly, I'm just an automated booking assistant, so I can't see the studio."
    assert "persona_break" in errors(asked, said)


def test_the_customer_booking_the_staff_in_takes_their_part():
    turns = [
        {"speaker": "agent", "text": "Studio B is $40 an hour."},
        {"speaker": "customer", "text": "Righto, I'll lock you in for Friday then."},
    ]
    found = check_dialogue(turns, facts=STUDIO, personas=PEOPLE)
    assert "role_swap" in [f.check for f in found if f.severity == "error"]
    assert errors("Can you lock me in for Friday?", "Sure, I'll lock you in for Friday.") == []


def test_the_start_of_hours_stated_as_a_range_must_agree():
    asked = "When can I come in?"
    assert "contradicted_time" in errors(asked, "Weekdays, 11 AM to 11 PM.")
    assert errors(asked, "Weekdays, 10 AM to 11 PM.") == []
    # a time inside the hours, said alone, is a choice within them
    assert errors(asked, "Any time suits, say 3 PM on Tuesday?") == []


def test_an_age_said_as_a_threshold():
    facts = [*STUDIO, "Students must be 16 or older to book the studio alone."]
    asked = "Can my son book on his own? He's 15."
    assert "contradicted_number" in errors(
        asked, "Yes, students 14 and up can book alone.", facts=facts
    )
    assert errors(asked, "Not yet, it's 16 or older for booking alone.", facts=facts) == []
    (parcels,) = values_in("Orders of 12 or more parcels ship free.")
    assert parcels.cls != "count:yo"  # a threshold of things, no age


def test_a_line_labelled_as_a_reply_is_stage_writing():
    said = "Customer reply: ok thanks. Next question for the agent: what's the rate?"
    assert "persona_break" in errors(said)
    assert errors("My reply to the email was late, sorry.") == []


def test_staff_doubting_as_a_buyer_speaks_as_the_customer():
    asked = "What's the refund policy?"
    said = "That's my worry too. If I buy it today, can I still get my money back?"
    assert "role_swap" in errors(asked, said)


def test_stone_and_a_fortnight_are_quantities():
    (weight,) = values_in("He's about fifteen stone.")
    assert weight.cls == "q:mass" and abs(weight.amounts[0] - 95254.4) < 1
    (span,) = values_in("You'd have a fortnight to collect it.")
    assert span.cls == "q:duration" and span.amounts == (14 * 86400.0,)
    assert values_in("We clean it once a fortnight.") == ()


def test_pounds_a_day_are_a_price_even_beside_heavy_duty_kit():
    facts = [*STUDIO, "The heavy-duty mic stand hires for £18 per day."]
    asked = "What's the heavy-duty stand?"
    assert errors(asked, "The heavy-duty stand is eighteen pounds a day.", facts=facts) == []
    wrong = "The heavy-duty stand is fifteen pounds a day."
    assert "contradicted_money" in errors(asked, wrong, facts=facts)


def test_a_denial_elsewhere_in_the_sentence_does_not_turn_a_bound_round():
    facts = [*STUDIO, "Master files must be collected within 7 days of the session."]
    asked = "How long do I have to collect the masters?"
    wrong = "You'd have a fortnight to collect them, so there's no need to hurry."
    assert "contradicted_number" in errors(asked, wrong, facts=facts)


def test_a_narrated_role_in_brackets_breaks_character():
    said = "(The receptionist opens the diary.) Thursday at two is free."
    assert "persona_break" in errors("When can I come in?", said)
    assert errors("When can I come in?", "Thursday at two (the studio opens at ten).") == []


def test_staff_hiring_for_themselves_speak_as_the_customer():
    said = "Actually, while I have you, I'd like to hire one of your rooms myself next month."
    assert "role_swap" in errors("Is Studio B free Friday?", said)


def test_continental_numbers_dates_and_clock_times():
    from datetime import date

    today = date(2025, 5, 14)
    (price,) = values_in("So it is 244,80 CHF per person.", today)
    assert price.cls == "money" and price.amounts == (244.8,)
    (clock,) = values_in("It starts at 14h30.", today)
    assert clock.cls == "time" and 870.0 in clock.amounts
    (trip,) = values_in("The crossing is 1h40.", today)
    assert trip.cls == "q:duration"
    (close,) = values_in("We close at 21 hours in the evening.", today)
    assert close.cls == "time" and 1260.0 in close.amounts
    (day,) = values_in("It's the 18.01, sorry.", today)
    assert day.cls == "date" and day.dates == ((None, 1, 18),)
    (dotted,) = values_in("Please come from 11.00.", today)
    assert dotted.cls == "time" and 660.0 in dotted.amounts
    (euro,) = values_in("It's at 4.50 EUR each.", today)
    assert euro.cls == "money"
    (later,) = values_in("It runs the day after tomorrow.", today)
    assert later.dates == ((2025, 5, 16),)


def test_a_bare_gallon_may_be_the_us_one():
    facts = [*STUDIO, "The studio's water tank holds 40 US gallons."]
    asked = "How big is the tank?"
    assert errors(asked, "It holds forty gallons.", facts=facts) == []
    assert "contradicted_unit" in errors(asked, "It holds fifty gallons.", facts=facts)


def test_a_weekday_after_every_is_a_habit_and_a_date_on_it_agrees():
    facts = [*STUDIO, "Drum workshops run every Tuesday and Thursday from 6:00 pm to 8:00 pm."]
    asked = "Is there a drum workshop next week?"
    assert errors(asked, "Yes, next Thursday, the 22nd, from six.", facts=facts) == []


def test_a_date_beside_a_closure_is_no_claim_about_the_closure():
    facts = [*STUDIO, "The studio is closed on Saturday 17 May 2025 for a private event."]
    asked = "Can I come in this weekend?"
    fine = "This Saturday we're closed. Sunday the 18th works, or Friday the 16th."
    assert errors(asked, fine, facts=facts) == []
    wrong = "We're closed this Friday, the 16th, for a private event."
    assert "contradicted_date" in errors(asked, wrong, facts=facts)


def test_a_weekday_is_no_name_and_a_pronoun_is_nothing_counted():
    said = "From Monday to Saturday we open at ten, Marcus Bell runs the mixing."
    assert errors("When are you open?", said) == []
    assert all(v.cls != "count:she" for v in values_in("At five she gets in free."))


def test_a_part_of_a_clause_with_no_words_of_its_own_speaks_of_its_clause():
    hours = "The yard is open Monday to Friday from 9:00 am to 6:30 pm and Saturday from 10:00 am to 2:00 pm; it is closed on Sunday."
    facts = [*STUDIO[:3], hours]
    asked = "What about Saturday?"
    said = "Saturdays we're open ten in the morning until two in the afternoon, and we're shut on Sundays."
    assert errors(asked, said, facts=facts) == []
    wrong = "Saturdays we're open ten in the morning until four in the afternoon."
    assert "contradicted_time" in errors(asked, wrong, facts=facts)


def test_a_date_a_fact_s_period_after_a_date_the_customer_gave():
    facts = [
        *STUDIO,
        "Water testing is free for customers who bought fish from the store within the last 30 days.",
        "The testing counter is open Tuesday to Saturday and is closed on Sunday and Monday.",
    ]
    said = "I bought some fish here on April 20th. Is my testing still free?"
    free = "Testing stays free for you for another six days or so, until around the 20th of May."
    assert errors(said, free, facts=facts) == []


def test_an_email_s_signature_title_is_letterhead_and_vat_is_added_on_top():
    facts = [*STUDIO, "Block bookings cost $600 + VAT per week."]
    reply = (
        "Dear Ines,\n\nA week's block is $600 + VAT ($720 including VAT).\n\n"
        "Kind regards,\nTom Reyes\nBookings Manager, Lumen & Lace Studios"
    )
    assert errors("How much is a week's block?", reply, facts=facts) == []
    wrong = reply.replace("$720 including", "$760 including")
    assert "contradicted_money" in errors("How much is a week's block?", wrong, facts=facts)


def test_the_scenario_s_key_for_a_side_outranks_a_job_title_in_its_role():
    people = {
        "customer": {"name": "Ines Duarte", "role": "Operations Manager booking a launch event"},
        "agent": {"name": "Tom Reyes", "role": "Events Coordinator at the studio"},
    }
    asked = "Our finance team thought Studio A was $80 an hour. And thank you for holding the 23rd."
    assert errors(asked, "It's $60 an hour, in fact.", people=people) == []


def test_an_excess_over_a_limit_is_no_bound_claim():
    facts = [*STUDIO, "Every minute over 60 minutes of mastering is charged at $2 per minute."]
    asked = "What if it runs long?"
    assert (
        errors(asked, "It's $2 a minute past the hour, so 15 minutes over is $30.", facts=facts)
        == []
    )


def test_a_figure_less_a_percentage_in_the_same_sentence():
    facts = [*STUDIO, "Bands booking 6 or more sessions get 10% off the hire."]
    asked = "Eight sessions of Studio B, what's that with the discount?"
    said = "Eight at forty is three hundred and twenty, less the ten percent, so 288 dollars."
    assert errors(asked, said, facts=facts) == []
    assert "contradicted_money" in errors(asked, said.replace("288", "298"), facts=facts)


def test_a_permission_with_another_fact_s_value_speaks_of_that_fact():
    facts = [
        *STUDIO,
        "Food is not allowed in the live room.",
        "An engineer may work at most 10 hours per day.",
    ]
    asked = "Our session could run 12 hours, is that a problem for the engineer?"
    said = "He's allowed up to ten hours of work a day, so we'd swap engineers after that."
    assert "contradicted_polarity" not in errors(asked, said, facts=facts)


def test_bots_and_stage_directions_in_their_other_forms():
    asked = "Can you come and look yourself?"
    for said in (
        "Bear with me, I'm just the automated voice assistant, not a real person.",
        "I have to admit I'm only the studio's booking chatbot, so I can't.",
        "Sure. [Stage direction: Tom checks the calendar.] Friday works.",
    ):
        assert "persona_break" in errors(asked, said), said
    assert errors(asked, "I'm just the receptionist, but Marcus Bell can.") == []


def test_names_with_accents_at_a_sentence_s_start_or_in_address():
    facts = [*STUDIO[:6], "Chief engineer Sinéad Bell runs every mixing session."]
    asked = "Who does the mixing?"
    assert errors(asked, "Sinéad Bell does, she runs every mixing session.", facts=facts) == []
    assert "contradicted_name" in errors(
        asked, "That's Niamh Bell, she runs every mixing session.", facts=facts
    )
    assert "contradicted_name" in errors(
        asked, "Siobhán Bell in the control room runs every mixing session.", facts=facts
    )
    assert "contradicted_name" in errors("Hi, I'm Ines Duarte.", "Right, Mrs Tanaka, come in.")
    assert errors(asked, "Mention Bell when you call, she runs the mixing.", facts=facts) == []


def test_a_permission_for_any_size_or_either_case_drops_the_fact_s_limit():
    facts = [
        *STUDIO,
        "The group rate is $30 per hour; it is only available for bands of 4 or more players.",
        "Tuning checks are free on studio-owned pianos but not on customer-owned pianos, which cost $65.",
    ]
    asked = "We're a duo, can we get the group rate?"
    said = "Yes, the group rate of $30 an hour is available for any group size."
    assert "contradicted_polarity" in errors(asked, said, facts=facts)
    asked = "Is the tuning check free on my own piano?"
    said = "Tuning checks are free whether it's our piano or yours."
    assert "contradicted_polarity" in errors(asked, said, facts=facts)


def test_a_value_of_one_fact_said_with_all_the_words_of_another():
    facts = [
        *STUDIO,
        "Tape is $2.49 a reel on orders of 150 reels or more.",
        "The minimum order is 100 reels.",
    ]
    asked = "I just need a hundred and ten reels."
    wrong = "Sorry, our minimum order is a hundred and fifty reels."
    assert "contradicted_number" in errors(asked, wrong, facts=facts)
    assert errors(asked, "That's fine, our minimum order is a hundred reels.", facts=facts) == []


def test_a_short_form_of_one_s_own_first_name():
    people = {
        "customer": {"name": "Gregory Nash", "role": "customer"},
        "agent": {"name": "Tom Reyes", "role": "studio receptionist"},
    }
    assert errors("Hi, this is Greg Nash, about Friday.", "Hi Greg!", people=people) == []
    people["customer"]["name"] = "William Nash"
    assert errors("Hi, this is Bill Nash, about Friday.", "Hi Bill!", people=people) == []
    assert "contradicted_name" in errors(
        "Hi, this is Frank Nash, about Friday.", "Hi!", people=people
    )


def test_a_time_named_to_be_ruled_out_as_past_the_hours():
    facts = [*STUDIO, "Tape pick-up is from 3 p.m. to 6 p.m. on weekdays."]
    asked = "What if I'm stuck in traffic and show up at quarter after six?"
    said = "At 6:15 we'd already be past pick-up hours, which end at 18:00."
    assert errors(asked, said, facts=facts) == []
    assert "contradicted_time" in errors(
        asked, "Pick-up runs until 6:15, so that's fine.", facts=facts
    )


def test_a_ratio_applied_to_a_bare_count_in_the_sentence():
    facts = [*STUDIO, "Live sessions get one engineer per 25 guests at no extra cost."]
    asked = "We'll have 200 guests at the live session, how many engineers?"
    assert errors(asked, "For 200 that's eight engineers.", facts=facts) == []
    assert "contradicted_number" in errors(asked, "For 200 that's ten engineers.", facts=facts)
