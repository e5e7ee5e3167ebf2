"""Reading a batch's items from pasted lines, CSV and the flow document's JSON, hostile input included."""

import json

import pytest

from bildgen.batches.items import (
    MAX_INPUT_BYTES,
    MAX_ITEMS,
    MAX_PROMPT_CHARS,
    BatchItem,
    InputRefused,
    ItemFields,
    parse_csv,
    parse_json,
    parse_lines,
    parse_upload,
    to_document,
)


def test_pasted_lines_become_one_prompt_each_without_blank_lines_or_list_markers():
    parsed = parse_lines("a red fox\n\n  2. a grey wolf  \n- an owl at night\n• a hare\r\n3) a lynx\n")
    assert [item.prompt for item in parsed.items] == ["a red fox", "a grey wolf", "an owl at night", "a hare", "a lynx"]
    assert parsed.problems == []


def test_pasting_more_than_a_batch_holds_keeps_the_first_and_says_so():
    parsed = parse_lines("\n".join(f"prompt {n}" for n in range(MAX_ITEMS + 5)))
    assert len(parsed.items) == MAX_ITEMS
    assert parsed.items[-1].prompt == f"prompt {MAX_ITEMS - 1}"
    assert "first 1,000 of 1,005" in parsed.problems[0]


def test_an_overlong_line_is_cut_and_named():
    parsed = parse_lines("ok\n" + "x" * (MAX_PROMPT_CHARS + 10))
    assert len(parsed.items[1].prompt) == MAX_PROMPT_CHARS
    assert parsed.problems[0].startswith("Line 2:")


def test_csv_with_the_flow_documents_column_names_and_a_semicolon_dialect():
    data = "prompt;negativePrompt;width;height;steps;guidanceScale;seed;batchSize;baseModel\n"
    data += "a fox;blurry;768;512;20;7.5;42;2;flux\n"
    data += '"a wolf; howling";;;;;;;;\n'
    parsed = parse_csv(data.encode())
    assert parsed.problems == []
    assert parsed.items[0] == BatchItem(
        "a fox",
        ItemFields(
            negative_prompt="blurry",
            width="768",
            height="512",
            steps="20",
            guidance="7.5",
            seed="42",
            count="2",
            model="flux",
        ),
    )
    assert parsed.items[1] == BatchItem("a wolf; howling")


def test_csv_rows_without_a_prompt_and_unknown_columns_are_named_and_the_rest_kept():
    parsed = parse_csv(b"Prompt,Steps,colour\na fox,20,red\n,30,blue\na wolf,,\n")
    assert [item.prompt for item in parsed.items] == ["a fox", "a wolf"]
    assert parsed.items[0].fields.steps == "20"
    assert parsed.problems == [
        "Row 3: no prompt; row left out.",
        "Not used (bildgen does not know these fields): colour.",
    ]


def test_csv_without_a_prompt_column_is_refused_with_the_columns_it_takes():
    with pytest.raises(InputRefused, match="header row with a 'prompt' column"):
        parse_csv(b"text,steps\na fox,20\n")


def test_files_that_are_too_large_or_not_text_are_refused_before_parsing():
    with pytest.raises(InputRefused, match="larger than 2 MB"):
        parse_csv(b"prompt\n" + b"a" * MAX_INPUT_BYTES)
    with pytest.raises(InputRefused, match="not UTF-8"):
        parse_csv(b"prompt\n\xff\xfe\x00fox\n")


def test_json_in_the_flow_documents_shape_gives_items_and_batch_defaults():
    document = {
        "baseModel": "demo",
        "steps": 30,
        "negativePrompt": "ugly, blurry",
        "images": [
            {
                "prompt": "A photo of an astronaut riding a horse on mars",
                "width": 768,
                "height": 768,
                "guidanceScale": 8.0,
            },
            {"prompt": "the same, at night", "baseModel": "flux", "trainingId": "4716c93e"},
            "a bare prompt",
        ],
    }
    parsed = parse_json(json.dumps(document).encode())
    assert parsed.defaults == ItemFields(model="demo", steps="30", negative_prompt="ugly, blurry")
    assert parsed.items[0].fields == ItemFields(width="768", height="768", guidance="8")
    assert parsed.items[1].fields == ItemFields(model="flux")
    assert parsed.items[2] == BatchItem("a bare prompt")
    assert parsed.problems == []  # trainingId is known and simply not used


def test_json_rows_of_the_wrong_kind_are_named_and_the_others_kept():
    document = {"images": [{"prompt": "a fox", "steps": [1, 2]}, ["@Map($.results)", {"prompt": "$$"}], 7, {"seed": 1}]}
    parsed = parse_json(json.dumps(document))
    assert [item.prompt for item in parsed.items] == ["a fox"]
    assert parsed.items[0].fields.steps == ""
    assert parsed.problems == [
        "Image 1: steps must be a number or text.",
        "Image 2: not an object with a prompt (flow mappings such as @Map are not run here); left out.",
        "Image 3: not an object with a prompt (flow mappings such as @Map are not run here); left out.",
        "Image 4: no prompt; left out.",
    ]


@pytest.mark.parametrize(
    "text, message",
    [
        ("{not json", "not valid JSON"),
        ('{"prompts": ["a"]}', '"images" list'),
        ("42", '"images" list'),
        ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
    ],
)
def test_json_that_cannot_be_a_batch_is_refused_plainly(text, message):
    with pytest.raises(InputRefused, match=message):
        parse_json(text)


def test_a_size_field_splits_into_width_and_height():
    parsed = parse_json('[{"prompt": "a fox", "size": "1328x1328"}, {"prompt": "b", "size": "big"}]')
    assert parsed.items[0].fields == ItemFields(width="1328", height="1328")
    assert parsed.problems == ["Image 2: size 'big' is not WIDTHxHEIGHT."]


def test_uploads_are_read_by_their_file_name():
    assert parse_upload("prompts.json", b'["a fox"]').items == [BatchItem("a fox")]
    assert parse_upload("prompts.csv", b"prompt\na fox\n").items == [BatchItem("a fox")]
    assert parse_upload("prompts.txt", b"a fox\na wolf\n").items == [BatchItem("a fox"), BatchItem("a wolf")]


def test_the_flow_document_shape_round_trips():
    items = [
        BatchItem("a fox", ItemFields(width="768", height="512", guidance="7.5", seed="4294967295", count="2")),
        BatchItem("a wolf", ItemFields(negative_prompt="text, watermark", model="flux", steps="20")),
        BatchItem("an owl"),
    ]
    defaults = ItemFields(model="demo", negative_prompt="blurry", steps="30")
    document = to_document(items, defaults, name="Animals")
    assert document["images"][0] == {
        "prompt": "a fox",
        "width": 768,
        "height": 512,
        "guidanceScale": 7.5,
        "seed": 4294967295,
        "batchSize": 2,
    }
    parsed = parse_json(json.dumps(document))
    assert (parsed.items, parsed.defaults, parsed.name, parsed.problems) == (items, defaults, "Animals", [])


def test_merging_takes_each_field_from_the_item_first_then_the_batch():
    item = ItemFields(steps="20", model="flux")
    defaults = ItemFields(steps="30", negative_prompt="blurry", model="demo")
    assert item.merged_over(defaults) == ItemFields(steps="20", negative_prompt="blurry", model="flux")
