from bohai.engines.text import segmentation


def test_place_names_are_single_tokens():
    tokens = segmentation.words("我住在孟村回族自治县辛店镇，浮阳大道和解放西路交叉口的井盖丢了")
    for place in ("孟村回族自治县", "辛店镇", "浮阳大道", "解放西路", "井盖"):
        assert place in tokens, (place, tokens)
    tokens = segmentation.words("黄骅市南排河镇的渣土车撒了一路，泊头市交河镇宅基地纠纷")
    for word in ("黄骅市", "南排河镇", "渣土车", "泊头市", "交河镇", "宅基地"):
        assert word in tokens, (word, tokens)


def test_punctuation_and_spaces_are_not_tokens():
    tokens = segmentation.words("停水了！！ 好几天了，，。。。")
    assert tokens and not any(t.strip("！，。 ") == "" for t in tokens)


def test_normalise_folds_width_and_case():
    assert segmentation.normalise("ＫＴＶ  太吵  ") == "ktv 太吵"


def test_user_dictionary_reads_words_and_skips_comments(tmp_path):
    path = tmp_path / "dict.txt"
    path.write_text("# comment\n\n御河湾小区 100 ns\n狮城\n", encoding="utf-8")
    assert segmentation.read_user_dictionary(path) == [("御河湾小区", 100, "ns"), ("狮城", None, None)]


def test_the_tokenizer_is_loaded_once():
    assert segmentation.tokenizer() is segmentation.tokenizer()
