"""Shared fixtures: a small corpus shaped like the chinese-poetry npm package, and a corpus built from it.

The poems are real (traditional characters, as the source stores them); each carries the answer the
corpus pipeline must give for it, so tests compute their expectations from this list.
"""
from __future__ import annotations

import json
import subprocess
import sys
import tarfile
from pathlib import Path
from typing import NamedTuple, Optional

import pytest
import torch

from poetry_gen import prosody

# The test models are tiny: one thread is faster than two that wait on each other, and much faster on a
# busy machine.
torch.set_num_threads(1)


@pytest.fixture(autouse=True)
def private_cache(tmp_path_factory, monkeypatch):
    """The CLI keeps its cache under $XDG_CACHE_HOME: the tests' is their own, not the user's."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.getbasetemp() / "xdg_cache"))


class Poem(NamedTuple):
    file: str  # the poet.*.json file that holds it (under dist/quantangshi/)
    author: str
    title: str
    paragraphs: list[str]  # as stored in the source: traditional, notes and all
    clean: Optional[str]  # the cleaned simplified text; None: the pipeline drops the poem
    form: Optional[str]  # its classical form after cleaning; None: irregular (or dropped)


# In file order. 登高 and the two poems of 除夜作 / 竹枝 fall in split bucket 0 (test), 絕句 and 詠懷古跡
# in bucket 1 (val), so every split of the built fixture is non-empty.
TANG_POEMS = [
    Poem('poet.tang.0.json', '杜甫', '登高', ['風急天高猨嘯哀，渚清沙白鳥飛迴。', '無邊落木蕭蕭下，不盡長江衮衮來。', '萬里悲秋常作客，百年多病獨登臺。', '艱難苦恨繁霜鬢，潦倒新停濁酒桮。'], '风急天高猿啸哀，渚清沙白鸟飞回。无边落木萧萧下，不尽长江衮衮来。万里悲秋常作客，百年多病独登台。艰难苦恨繁霜鬓，潦倒新停浊酒杯。', '七律'),  # bucket 0; variant glyphs folded (猨 → 猿, 桮 → 杯)
    Poem('poet.tang.0.json', '杜甫', '絕句二首 一', ['遲日江山麗，春風花草香。', '泥融飛燕子，沙暖睡鴛鴦。'], '迟日江山丽，春风花草香。泥融飞燕子，沙暖睡鸳鸯。', '五绝'),  # bucket 1
    Poem('poet.tang.0.json', '王維', '雜詩三首 二', ['君自故鄉來，應知故鄉事。（一作：君從故鄉來）', '來日綺窗前，寒梅著花未。（一作：發）'], '君自故乡来，应知故乡事。来日绮窗前，寒梅著花未。', '五绝'),  # verse between two notes
    Poem('poet.tang.0.json', '李紳', '憫農二首 二', ['鋤禾日當午，汗滴禾下土。', '誰知盤中□，粒粒皆辛苦。'], None, None),  # lacuna
    Poem('poet.tang.0.json', '李白', '靜夜思', ['牀前明月光，疑是地上霜。', '舉頭望明月，低頭思故鄉。'], '床前明月光，疑是地上霜。举头望明月，低头思故乡。', '五绝'),
    Poem('poet.tang.0.json', '王之渙', '登鸛雀樓', ['白日依山盡，黃河入海流。', '欲窮千里目，更上一層樓。'], '白日依山尽，黄河入海流。欲穷千里目，更上一层楼。', '五绝'),
    Poem('poet.tang.0.json', '孟浩然', '春曉', ['春眠不覺曉，處處聞啼鳥。', '夜來風雨聲，花落知多少。'], '春眠不觉晓，处处闻啼鸟。夜来风雨声，花落知多少。', '五绝'),
    Poem('poet.tang.0.json', '柳宗元', '江雪', ['千山鳥飛絕，萬徑人蹤滅。', '孤舟蓑笠翁，獨釣寒江雪。'], '千山鸟飞绝，万径人踪灭。孤舟蓑笠翁，独钓寒江雪。', '五绝'),
    Poem('poet.tang.0.json', '王維', '鹿柴', ['空山不見人，但聞人語響。', '返景入深林，復照青苔上。'], '空山不见人，但闻人语响。返景入深林，复照青苔上。', '五绝'),
    Poem('poet.tang.0.json', '王維', '相思', ['紅豆生南國，春來發幾枝。', '願君多采擷，此物最相思。'], '红豆生南国，春来发几枝。愿君多采撷，此物最相思。', '五绝'),
    Poem('poet.tang.0.json', '李商隱', '登樂遊原', ['向晚意不適，驅車登古原。', '夕陽無限好，只是近黃昏。'], '向晚意不适，驱车登古原。夕阳无限好，只是近黄昏。', '五绝'),
    Poem('poet.tang.0.json', '王維', '竹裏館', ['獨坐幽篁裏，彈琴復長嘯。', '深林人不知，明月來相照。'], '独坐幽篁里，弹琴复长啸。深林人不知，明月来相照。', '五绝'),
    Poem('poet.tang.0.json', '盧綸', '塞下曲', ['月黑雁飛高，單于夜遁逃。', '欲將輕騎逐，大雪滿弓刀。'], '月黑雁飞高，单于夜遁逃。欲将轻骑逐，大雪满弓刀。', '五绝'),
    Poem('poet.tang.0.json', '李白', '獨坐敬亭山', ['衆鳥高飛盡，孤雲獨去閒。', '相看兩不厭，只有敬亭山。'], '众鸟高飞尽，孤云独去闲。相看两不厌，只有敬亭山。', '五绝'),
    Poem('poet.tang.0.json', '劉長卿', '逢雪宿芙蓉山主人', ['日暮蒼山遠，天寒白屋貧。', '柴門聞犬吠，風雪夜歸人。'], '日暮苍山远，天寒白屋贫。柴门闻犬吠，风雪夜归人。', '五绝'),
    Poem('poet.tang.0.json', '李白', '秋浦歌', ['白髮三千丈，緣愁似個長。', '不知明鏡裏，何處得秋霜。'], '白发三千丈，缘愁似个长。不知明镜里，何处得秋霜。', '五绝'),
    Poem('poet.tang.0.json', '王昌齡', '出塞', ['秦時明月漢時關，萬里長征人未還。', '但使龍城飛將在，不教胡馬度陰山。'], '秦时明月汉时关，万里长征人未还。但使龙城飞将在，不教胡马度阴山。', '七绝'),
    Poem('poet.tang.0.json', '王之渙', '涼州詞', ['黃河遠上白雲間，一片孤城萬仞山。', '羌笛何須怨楊柳，春風不度玉門關。'], '黄河远上白云间，一片孤城万仞山。羌笛何须怨杨柳，春风不度玉门关。', '七绝'),
    Poem('poet.tang.0.json', '李白', '早發白帝城', ['朝辭白帝彩雲間，千里江陵一日還。', '兩岸猿聲啼不住，輕舟已過萬重山。'], '朝辞白帝彩云间，千里江陵一日还。两岸猿声啼不住，轻舟已过万重山。', '七绝'),
    Poem('poet.tang.0.json', '李白', '望廬山瀑布', ['日照香爐生紫煙，遙看瀑布掛前川。', '飛流直下三千尺，疑是銀河落九天。'], '日照香炉生紫烟，遥看瀑布挂前川。飞流直下三千尺，疑是银河落九天。', '七绝'),
    Poem('poet.tang.0.json', '杜牧', '清明', ['清明時節雨紛紛，路上行人慾斷魂。', '借問酒家何處有，牧童遙指杏花村。'], '清明时节雨纷纷，路上行人欲断魂。借问酒家何处有，牧童遥指杏花村。', '七绝'),
    Poem('poet.tang.0.json', '王維', '九月九日憶山東兄弟', ['獨在異鄉爲異客，每逢佳節倍思親。', '遙知兄弟登高處，遍插茱萸少一人。'], '独在异乡为异客，每逢佳节倍思亲。遥知兄弟登高处，遍插茱萸少一人。', '七绝'),
    Poem('poet.tang.0.json', '張繼', '楓橋夜泊', ['月落烏啼霜滿天，江楓漁火對愁眠。', '姑蘇城外寒山寺，夜半鐘聲到客船。'], '月落乌啼霜满天，江枫渔火对愁眠。姑苏城外寒山寺，夜半钟声到客船。', '七绝'),
    Poem('poet.tang.0.json', '杜牧', '山行', ['遠上寒山石徑斜，白雲生處有人家。', '停車坐愛楓林晚，霜葉紅於二月花。'], '远上寒山石径斜，白云生处有人家。停车坐爱枫林晚，霜叶红于二月花。', '七绝'),
    Poem('poet.tang.200.json', '杜甫', '詠懷古跡五首 二', ['搖落深知宋玉悲，風流儒雅亦吾師。', '悵望千秋一灑淚，蕭條異代不同時。', '江山故宅空文藻，雲雨荒臺豈夢思。', '最是楚宮俱泯滅，舟人指點到今疑。'], '摇落深知宋玉悲，风流儒雅亦吾师。怅望千秋一洒泪，萧条异代不同时。江山故宅空文藻，云雨荒台岂梦思。最是楚宫俱泯灭，舟人指点到今疑。', '七律'),  # bucket 1
    Poem('poet.tang.200.json', '賈島', '尋隱者不遇', ['松下問童子，「言師採藥去。', '只在此山中，雲深不知處。」'], '松下问童子，言师采药去。只在此山中，云深不知处。', '五绝'),  # quote marks
    Poem('poet.tang.200.json', '李白', '贈汪倫', ['李白乘舟將欲行，忽聞岸上踏歌聲。{一作：將欲去}', '桃花潭水深千尺，[一作：深十尺]不及汪倫送我情。(汪倫，涇縣人)'], '李白乘舟将欲行，忽闻岸上踏歌声。桃花潭水深千尺，不及汪伦送我情。', '七绝'),  # {} [] and half-width () notes
    Poem('poet.tang.200.json', '李紳', '憫農二首 一', ['春種一粒粟，秋收萬顆子。', '四海無閒田，農夫猶餓死。abc'], None, None),  # latin letters
    Poem('poet.tang.200.json', '賀知章', '回鄉偶書', ['少小離家老大回，鄉音無改鬢毛衰。', '兒童相見不相識，笑問客從何處來。'], '少小离家老大回，乡音无改鬓毛衰。儿童相见不相识，笑问客从何处来。', '七绝'),
    Poem('poet.tang.200.json', '王翰', '涼州詞', ['葡萄美酒夜光杯，欲飲琵琶馬上催。', '醉臥沙場君莫笑，古來征戰幾人回。'], '葡萄美酒夜光杯，欲饮琵琶马上催。醉卧沙场君莫笑，古来征战几人回。', '七绝'),
    Poem('poet.tang.200.json', '李白', '黃鶴樓送孟浩然之廣陵', ['故人西辭黃鶴樓，煙花三月下揚州。', '孤帆遠影碧空盡，唯見長江天際流。'], '故人西辞黄鹤楼，烟花三月下扬州。孤帆远影碧空尽，唯见长江天际流。', '七绝'),
    Poem('poet.tang.200.json', '劉禹錫', '烏衣巷', ['朱雀橋邊野草花，烏衣巷口夕陽斜。', '舊時王謝堂前燕，飛入尋常百姓家。'], '朱雀桥边野草花，乌衣巷口夕阳斜。旧时王谢堂前燕，飞入寻常百姓家。', '七绝'),
    Poem('poet.tang.200.json', '杜牧', '泊秦淮', ['煙籠寒水月籠沙，夜泊秦淮近酒家。', '商女不知亡國恨，隔江猶唱後庭花。'], '烟笼寒水月笼沙，夜泊秦淮近酒家。商女不知亡国恨，隔江犹唱后庭花。', '七绝'),
    Poem('poet.tang.200.json', '李商隱', '夜雨寄北', ['君問歸期未有期，巴山夜雨漲秋池。', '何當共剪西窗燭，卻話巴山夜雨時。'], '君问归期未有期，巴山夜雨涨秋池。何当共剪西窗烛，却话巴山夜雨时。', '七绝'),
    Poem('poet.tang.200.json', '王昌齡', '芙蓉樓送辛漸', ['寒雨連江夜入吳，平明送客楚山孤。', '洛陽親友如相問，一片冰心在玉壺。'], '寒雨连江夜入吴，平明送客楚山孤。洛阳亲友如相问，一片冰心在玉壶。', '七绝'),
    Poem('poet.tang.200.json', '杜甫', '絕句', ['兩個黃鸝鳴翠柳，一行白鷺上青天。', '窗含西嶺千秋雪，門泊東吳萬里船。'], '两个黄鹂鸣翠柳，一行白鹭上青天。窗含西岭千秋雪，门泊东吴万里船。', '七绝'),
    Poem('poet.tang.200.json', '王維', '送元二使安西', ['渭城朝雨浥輕塵，客舍青青柳色新。', '勸君更盡一杯酒，西出陽關無故人。'], '渭城朝雨浥轻尘，客舍青青柳色新。劝君更尽一杯酒，西出阳关无故人。', '七绝'),
    Poem('poet.tang.200.json', '杜甫', '春望', ['國破山河在，城春草木深。', '感時花濺淚，恨別鳥驚心。', '烽火連三月，家書抵萬金。', '白頭搔更短，渾欲不勝簪。'], '国破山河在，城春草木深。感时花溅泪，恨别鸟惊心。烽火连三月，家书抵万金。白头搔更短，浑欲不胜簪。', '五律'),
    Poem('poet.tang.200.json', '王維', '山居秋暝', ['空山新雨後，天氣晚來秋。', '明月松間照，清泉石上流。', '竹喧歸浣女，蓮動下漁舟。', '隨意春芳歇，王孫自可留。'], '空山新雨后，天气晚来秋。明月松间照，清泉石上流。竹喧归浣女，莲动下渔舟。随意春芳歇，王孙自可留。', '五律'),
    Poem('poet.tang.200.json', '王勃', '送杜少府之任蜀州', ['城闕輔三秦，風煙望五津。', '與君離別意，同是宦遊人。', '海內存知己，天涯若比鄰。', '無爲在歧路，兒女共沾巾。'], '城阙辅三秦，风烟望五津。与君离别意，同是宦游人。海内存知己，天涯若比邻。无为在歧路，儿女共沾巾。', '五律'),
    Poem('poet.tang.200.json', '杜甫', '春夜喜雨', ['好雨知時節，當春乃發生。', '隨風潛入夜，潤物細無聲。', '野徑雲俱黑，江船火獨明。', '曉看紅溼處，花重錦官城。'], '好雨知时节，当春乃发生。随风潜入夜，润物细无声。野径云俱黑，江船火独明。晓看红湿处，花重锦官城。', '五律'),
    Poem('poet.tang.200.json', '李白', '送友人', ['青山橫北郭，白水繞東城。', '此地一爲別，孤蓬萬里徵。', '浮雲遊子意，落日故人情。', '揮手自茲去，蕭蕭班馬鳴。'], '青山横北郭，白水绕东城。此地一为别，孤蓬万里征。浮云游子意，落日故人情。挥手自兹去，萧萧班马鸣。', '五律'),
    Poem('poet.tang.200.json', '孟浩然', '過故人莊', ['故人具雞黍，邀我至田家。', '綠樹村邊合，青山郭外斜。', '開軒面場圃，把酒話桑麻。', '待到重陽日，還來就菊花。'], '故人具鸡黍，邀我至田家。绿树村边合，青山郭外斜。开轩面场圃，把酒话桑麻。待到重阳日，还来就菊花。', '五律'),
    Poem('poet.tang.200.json', '白居易', '賦得古原草送別', ['離離原上草，一歲一枯榮。', '野火燒不盡，春風吹又生。', '遠芳侵古道，晴翠接荒城。', '又送王孫去，萋萋滿別情。'], '离离原上草，一岁一枯荣。野火烧不尽，春风吹又生。远芳侵古道，晴翠接荒城。又送王孙去，萋萋满别情。', '五律'),
    Poem('poet.tang.200.json', '杜甫', '月夜憶舍弟', ['戍鼓斷人行，邊秋一雁聲。', '露從今夜白，月是故鄉明。', '有弟皆分散，無家問死生。', '寄書長不達，況乃未休兵。'], '戍鼓断人行，边秋一雁声。露从今夜白，月是故乡明。有弟皆分散，无家问死生。寄书长不达，况乃未休兵。', '五律'),
    Poem('poet.tang.200.json', '王維', '使至塞上', ['單車欲問邊，屬國過居延。', '徵蓬出漢塞，歸雁入胡天。', '大漠孤煙直，長河落日圓。', '蕭關逢候騎，都護在燕然。'], '单车欲问边，属国过居延。征蓬出汉塞，归雁入胡天。大漠孤烟直，长河落日圆。萧关逢候骑，都护在燕然。', '五律'),
    Poem('poet.tang.1000.json', '高適', '除夜作', ['旅館寒燈獨不眠，客心何事轉悽然。', '故鄉今夜思千里，愁鬢明朝又一年。'], '旅馆寒灯独不眠，客心何事转凄然。故乡今夜思千里，愁鬓明朝又一年。', '七绝'),  # bucket 0
    Poem('poet.tang.1000.json', '劉禹錫', '雜曲歌辭 竹枝 二', ['山桃紅花滿上頭，蜀江春水拍江流。', '花紅易衰似郎意，水流無限似儂愁。'], '山桃红花满上头，蜀江春水拍江流。花红易衰似郎意，水流无限似侬愁。', '七绝'),  # bucket 0
    Poem('poet.tang.1000.json', '李白', '夜思', ['牀前明月光，疑是地上霜。', '舉頭望明月，低頭思故鄉。'], None, None),  # exact duplicate of 靜夜思
    Poem('poet.tang.1000.json', '無名氏', '失題', ['（缺）'], None, None),  # nothing left after the note
    Poem('poet.tang.1000.json', '杜甫', '旅夜書懷', ['細草微風岸，危檣獨夜舟。', '星垂平野闊，月湧大江流。', '名豈文章著，官應老病休。', '飄飄何所似，天地一沙鷗。'], '细草微风岸，危樯独夜舟。星垂平野阔，月涌大江流。名岂文章著，官应老病休。飘飘何所似，天地一沙鸥。', '五律'),
    Poem('poet.tang.1000.json', '孟浩然', '望洞庭湖贈張丞相', ['八月湖水平，涵虛混太清。', '氣蒸雲夢澤，波撼岳陽城。', '欲濟無舟楫，端居恥聖明。', '坐觀垂釣者，徒有羨魚情。'], '八月湖水平，涵虚混太清。气蒸云梦泽，波撼岳阳城。欲济无舟楫，端居耻圣明。坐观垂钓者，徒有羡鱼情。', '五律'),
    Poem('poet.tang.1000.json', '崔顥', '黃鶴樓', ['昔人已乘黃鶴去，此地空餘黃鶴樓。', '黃鶴一去不復返，白雲千載空悠悠。', '晴川歷歷漢陽樹，芳草萋萋鸚鵡洲。', '日暮鄉關何處是，煙波江上使人愁。'], '昔人已乘黄鹤去，此地空余黄鹤楼。黄鹤一去不复返，白云千载空悠悠。晴川历历汉阳树，芳草萋萋鹦鹉洲。日暮乡关何处是，烟波江上使人愁。', '七律'),
    Poem('poet.tang.1000.json', '杜甫', '蜀相', ['丞相祠堂何處尋，錦官城外柏森森。', '映階碧草自春色，隔葉黃鸝空好音。', '三顧頻煩天下計，兩朝開濟老臣心。', '出師未捷身先死，長使英雄淚滿襟。'], '丞相祠堂何处寻，锦官城外柏森森。映阶碧草自春色，隔叶黄鹂空好音。三顾频烦天下计，两朝开济老臣心。出师未捷身先死，长使英雄泪满襟。', '七律'),
    Poem('poet.tang.1000.json', '李商隱', '錦瑟', ['錦瑟無端五十弦，一弦一柱思華年。', '莊生曉夢迷蝴蝶，望帝春心托杜鵑。', '滄海月明珠有淚，藍田日暖玉生煙。', '此情可待成追憶，只是當時已惘然。'], '锦瑟无端五十弦，一弦一柱思华年。庄生晓梦迷蝴蝶，望帝春心托杜鹃。沧海月明珠有泪，蓝田日暖玉生烟。此情可待成追忆，只是当时已惘然。', '七律'),
    Poem('poet.tang.1000.json', '杜甫', '聞官軍收河南河北', ['劍外忽傳收薊北，初聞涕淚滿衣裳。', '卻看妻子愁何在，漫卷詩書喜欲狂。', '白日放歌須縱酒，青春作伴好還鄉。', '即從巴峽穿巫峽，便下襄陽向洛陽。'], '剑外忽传收蓟北，初闻涕泪满衣裳。却看妻子愁何在，漫卷诗书喜欲狂。白日放歌须纵酒，青春作伴好还乡。即从巴峡穿巫峡，便下襄阳向洛阳。', '七律'),
    Poem('poet.tang.1000.json', '李白', '登金陵鳳凰臺', ['鳳凰臺上鳳凰遊，鳳去臺空江自流。', '吳宮花草埋幽徑，晉代衣冠成古丘。', '三山半落青天外，二水中分白鷺洲。', '總爲浮雲能蔽日，長安不見使人愁。'], '凤凰台上凤凰游，凤去台空江自流。吴宫花草埋幽径，晋代衣冠成古丘。三山半落青天外，二水中分白鹭洲。总为浮云能蔽日，长安不见使人愁。', '七律'),
    Poem('poet.tang.1000.json', '李商隱', '無題', ['相見時難別亦難，東風無力百花殘。', '春蠶到死絲方盡，蠟炬成灰淚始幹。', '曉鏡但愁雲鬢改，夜吟應覺月光寒。', '蓬山此去無多路，青鳥殷勤爲探看。'], '相见时难别亦难，东风无力百花残。春蚕到死丝方尽，蜡炬成灰泪始干。晓镜但愁云鬓改，夜吟应觉月光寒。蓬山此去无多路，青鸟殷勤为探看。', '七律'),
    Poem('poet.tang.1000.json', '劉禹錫', '酬樂天揚州初逢席上見贈', ['巴山楚水淒涼地，二十三年棄置身。', '懷舊空吟聞笛賦，到鄉翻似爛柯人。', '沉舟側畔千帆過，病樹前頭萬木春。', '今日聽君歌一曲，暫憑杯酒長精神。'], '巴山楚水凄凉地，二十三年弃置身。怀旧空吟闻笛赋，到乡翻似烂柯人。沉舟侧畔千帆过，病树前头万木春。今日听君歌一曲，暂凭杯酒长精神。', '七律'),
    Poem('poet.tang.1000.json', '白居易', '錢塘湖春行', ['孤山寺北賈亭西，水面初平雲腳低。', '幾處早鶯爭暖樹，誰家新燕啄春泥。', '亂花漸欲迷人眼，淺草才能沒馬蹄。', '最愛湖東行不足，綠楊陰裏白沙堤。'], '孤山寺北贾亭西，水面初平云脚低。几处早莺争暖树，谁家新燕啄春泥。乱花渐欲迷人眼，浅草才能没马蹄。最爱湖东行不足，绿杨阴里白沙堤。', '七律'),
    Poem('poet.tang.1000.json', '杜甫', '客至', ['舍南舍北皆春水，但見羣鷗日日來。', '花徑不曾緣客掃，蓬門今始爲君開。', '盤飧市遠無兼味，樽酒家貧只舊醅。', '肯與鄰翁相對飲，隔籬呼取盡餘杯。'], '舍南舍北皆春水，但见群鸥日日来。花径不曾缘客扫，蓬门今始为君开。盘飧市远无兼味，樽酒家贫只旧醅。肯与邻翁相对饮，隔篱呼取尽余杯。', '七律'),
    Poem('poet.tang.1000.json', '陳子昂', '登幽州臺歌', ['前不見古人，後不見來者。', '念天地之悠悠，獨愴然而涕下。'], '前不见古人，后不见来者。念天地之悠悠，独怆然而涕下。', None),
    Poem('poet.tang.1000.json', '孟郊', '遊子吟', ['慈母手中線，遊子身上衣。', '臨行密密縫，意恐遲遲歸。', '誰言寸草心，報得三春暉。'], '慈母手中线，游子身上衣。临行密密缝，意恐迟迟归。谁言寸草心，报得三春晖。', None),
    Poem('poet.tang.1000.json', '李白', '月下獨酌', ['花間一壺酒，獨酌無相親。', '舉杯邀明月，對影成三人。', '月既不解飲，影徒隨我身。', '暫伴月將影，行樂須及春。', '我歌月徘徊，我舞影零亂。', '醒時同交歡，醉後各分散。', '永結無情遊，相期邈雲漢。'], '花间一壶酒，独酌无相亲。举杯邀明月，对影成三人。月既不解饮，影徒随我身。暂伴月将影，行乐须及春。我歌月徘徊，我舞影零乱。醒时同交欢，醉后各分散。永结无情游，相期邈云汉。', None),
    Poem('poet.tang.1000.json', '李白', '將進酒', ['君不見黃河之水天上來，奔流到海不復回。', '君不見高堂明鏡悲白髮，朝如青絲暮成雪。'], '君不见黄河之水天上来，奔流到海不复回。君不见高堂明镜悲白发，朝如青丝暮成雪。', None),
    Poem('poet.tang.1000.json', '白居易', '問劉十九', ['綠蟻新醅酒，紅泥小火爐。', '晚來天欲雪，能飲一杯無？'], '绿蚁新醅酒，红泥小火炉。晚来天欲雪，能饮一杯无？', None),
]

SONG_POEMS = [
    Poem('poet.song.0.json', '蘇軾', '題西林壁', ['橫看成嶺側成峯，遠近高低各不同。', '不識廬山真面目，只緣身在此山中。'], '横看成岭侧成峰，远近高低各不同。不识庐山真面目，只缘身在此山中。', '七绝'),
    Poem('poet.song.0.json', '王安石', '泊船瓜洲', ['京口瓜洲一水間，鐘山只隔數重山。', '春風又綠江南岸，明月何時照我還。'], '京口瓜洲一水间，钟山只隔数重山。春风又绿江南岸，明月何时照我还。', '七绝'),
    Poem('poet.song.0.json', '陸游', '示兒', ['死去元知萬事空，但悲不見九州同。', '王師北定中原日，家祭無忘告乃翁。'], '死去元知万事空，但悲不见九州同。王师北定中原日，家祭无忘告乃翁。', '七绝'),
    Poem('poet.song.0.json', '王安石', '梅花', ['牆角數枝梅，凌寒獨自開。', '遙知不是雪，爲有暗香來。'], '墙角数枝梅，凌寒独自开。遥知不是雪，为有暗香来。', '五绝'),
    Poem('poet.song.0.json', '楊萬里', '小池', ['泉眼無聲惜細流，樹陰照水愛晴柔。', '小荷才露尖尖角，早有蜻蜓立上頭。'], '泉眼无声惜细流，树阴照水爱晴柔。小荷才露尖尖角，早有蜻蜓立上头。', '七绝'),
    Poem('poet.song.0.json', '朱熹', '觀書有感', ['半畝方塘一鑑開，天光雲影共徘徊。', '問渠那得清如許，爲有源頭活水來。'], '半亩方塘一鉴开，天光云影共徘徊。问渠那得清如许，为有源头活水来。', '七绝'),
]

# Ci, real, as the package stores them (file: the path under dist/; title: the tune as stored, `rhythmic`;
# form: the tune the corpus gives it). In reading order: songci by file number, 2019y last, then 花间集, 南唐二主词.
CI_POEMS = [
    Poem('songci/ci.song.0.json', '晏殊', '浣溪沙', ['一曲新词酒一杯。', '去年天气旧亭台。', '夕阳西下几时回。', '无可奈何花落去，似曾相识燕归来。', '小园香径独徘徊。'], '一曲新词酒一杯。去年天气旧亭台。夕阳西下几时回。无可奈何花落去，似曾相识燕归来。小园香径独徘徊。', '浣溪沙'),
    Poem('songci/ci.song.0.json', '张先', '菩萨蛮', ['佳人学得平阳曲。', '纤纤玉笋横孤竹。', '一弄入云声。', '海门江月清。', '髻摇金钿落。', '惜恐樱唇薄。', '听罢已依依。', '莫吹杨柳枝。'], '佳人学得平阳曲。纤纤玉笋横孤竹。一弄入云声。海门江月清。髻摇金钿落。惜恐樱唇薄。听罢已依依。莫吹杨柳枝。', '菩萨蛮'),  # val
    Poem('songci/ci.song.0.json', '柳永', '失调名', ['多情到了多病。'], '多情到了多病。', None),  # tune unknown
    Poem('songci/ci.song.0.json', '范仲淹', '定风波', ['罗绮满城春欲暮。', '百花洲上寻芳去。', '浦映□花花映浦。', '无尽处。', '恍然身入桃源路。', '莫怪山翁聊逸豫。', '功名得丧归时数。', '莺解新声蝶解舞。', '天赋与。', '争教我辈无欢绪。'], None, None),  # lacuna
    Poem('songci/ci.song.0.json', '夏竦', '喜迁莺', ['霞散绮，月沈钩。', '帘卷未央楼。', '夜凉河汉截天流。', '宫阙锁清秋。', '瑶阶曙。', '金盘露。', '凤髓香和烟雾。', '三千珠翠拥宸游。', '水殿按《凉州》。'], '霞散绮，月沈钩。帘卷未央楼。夜凉河汉截天流。宫阙锁清秋。瑶阶曙。金盘露。凤髓香和烟雾。三千珠翠拥宸游。水殿按凉州。', '喜迁莺'),  # title marks go, the words stay
    Poem('songci/ci.song.1000.json', '苏轼', '水调歌头', ['明月几时有，把酒问青天。', '不知天上宫阙，今夕是何年。', '我欲乘风归去，又恐琼楼玉宇，高处不胜寒。', '起舞弄清影，何似在人间。', '转朱阁，低绮户，照无眠。', '不应有恨，何事长向别时圆。', '人有悲欢离合，月有阴晴圆缺，此事古难全。', '但愿人长久，千里共婵娟。'], '明月几时有，把酒问青天。不知天上宫阙，今夕是何年。我欲乘风归去，又恐琼楼玉宇，高处不胜寒。起舞弄清影，何似在人间。转朱阁，低绮户，照无眠。不应有恨，何事长向别时圆。人有悲欢离合，月有阴晴圆缺，此事古难全。但愿人长久，千里共婵娟。', '水调歌头'),
    Poem('songci/ci.song.1000.json', '苏轼', '念奴娇', ['大江东去，浪淘尽、千古风流人物。', '故垒西边人道是，三国周郎赤壁。', '乱石穿空，惊涛拍岸，卷起千堆雪。', '江山如画，一时多少豪杰。', '遥想公瑾当年，小乔初嫁了，雄姿英发。', '羽扇纶巾谈笑间，强虏灰飞烟灭。', '故国神游，多情应笑，我早生华发。', '人间如梦，一尊还酹江月。'], '大江东去，浪淘尽、千古风流人物。故垒西边人道是，三国周郎赤壁。乱石穿空，惊涛拍岸，卷起千堆雪。江山如画，一时多少豪杰。遥想公瑾当年，小乔初嫁了，雄姿英发。羽扇纶巾谈笑间，强虏灰飞烟灭。故国神游，多情应笑，我早生华发。人间如梦，一尊还酹江月。', '念奴娇'),  # the pause mark '、' stays
    Poem('songci/ci.song.2000.json', '赵老', '浣溪沙', ['刘氏风流设此冠。', '今谁将去伴珠鬟。', '君家兄弟二俱难。', '驰去请观流汗马，钓时休等烂银盘。', '明朝吟咏有方干。'], '刘氏风流设此冠。今谁将去伴珠鬟。君家兄弟二俱难。驰去请观流汗马，钓时休等烂银盘。明朝吟咏有方干。', '浣溪沙'),  # test
    Poem('songci/ci.song.2000.json', '黄定', '鹧鸪天', ['间世文章万选钱。', '清时平步八花砖。', '大开紫府瑶池宴，正是橙黄橘绿天。', '金烛里，玉堂前。', '翰林元是武夷仙。', '雍容草罢明堂诏，留取天香馥寿筵。'], '间世文章万选钱。清时平步八花砖。大开紫府瑶池宴，正是橙黄橘绿天。金烛里，玉堂前。翰林元是武夷仙。雍容草罢明堂诏，留取天香馥寿筵。', '鹧鸪天'),  # test
    Poem('songci/ci.song.2000.json', '方千里', '虞美人', ['高楼远阁花飞遍。', '急雨捎池面。', 'けけ杨柳不知门。', '多少乱莺啼处、暮烟昏。', '银钩小字题芳絮。', '宛转回文语。', '可怜单枕梦行云。', '肠断江南千里、未归人。'], None, None),  # stray kana
    Poem('songci/ci.song.6000.json', '李清照', '如梦令', ['昨夜雨疏风骤。', '浓睡不消残酒。', '试问卷帘人，却道海棠依旧。', '知否。', '知否。', '应是绿肥红瘦。'], '昨夜雨疏风骤。浓睡不消残酒。试问卷帘人，却道海棠依旧。知否。知否。应是绿肥红瘦。', '如梦令'),
    Poem('songci/ci.song.7000.json', '岳飞', '满江红', ['怒发冲冠，凭阑处、潇潇雨歇。', '抬望眼、仰天长啸，壮怀激烈。', '三十功名尘与土，八千里路云和月。', '莫等闲、白了少年头，空悲切。', '靖康耻，犹未雪。', '臣子恨，何时灭。', '驾长车踏破，贺兰山缺。', '壮志饥餐胡虏肉，笑谈渴饮匈奴血。', '待从头、收拾旧山河，朝天阙。'], '怒发冲冠，凭阑处、潇潇雨歇。抬望眼、仰天长啸，壮怀激烈。三十功名尘与土，八千里路云和月。莫等闲、白了少年头，空悲切。靖康耻，犹未雪。臣子恨，何时灭。驾长车踏破，贺兰山缺。壮志饥餐胡虏肉，笑谈渴饮匈奴血。待从头、收拾旧山河，朝天阙。', '满江红'),
    Poem('songci/ci.song.9000.json', '程大昌', '水调歌头', ['红树迎风舞，彷佛采衣褰。', '云容应为，虞侍分付（下缺）。'], None, None),  # a note that text is missing: a lacuna
    Poem('songci/ci.song.14000.json', '卓田', '酹江月・念奴娇', ['武夷山字，是使君衔上，新来带得。', '便觉闲中多胜事，满眼烟霞泉石。', '云卷尘劳，风生芒竹，去作山中客。', '晓坛朝罢，自然五福天锡。', '当此弧矢悬门，步虚声远，直透云霄碧。', '替却燕姬皓齿，洗尽人间筝笛。', '九曲溪深，千岩壁峭，大寿应难匹。', '辑车有待，日边飞下消息。'], '武夷山字，是使君衔上，新来带得。便觉闲中多胜事，满眼烟霞泉石。云卷尘劳，风生芒竹，去作山中客。晓坛朝罢，自然五福天锡。当此弧矢悬门，步虚声远，直透云霄碧。替却燕姬皓齿，洗尽人间筝笛。九曲溪深，千岩壁峭，大寿应难匹。辑车有待，日边飞下消息。', '念奴娇'),  # alias pair: the name used alone wins
    Poem('songci/ci.song.2019y.json', '李从周', '清平乐', ['夢魂尋遍。', '忽向尊前見。', '好似烏衣春社燕。', '軟語東風庭院。', '叮咛记取儿家。', '碧云隐映红霞。', '直下小桥流水，门前一树桃花。'], '梦魂寻遍。忽向尊前见。好似乌衣春社燕。软语东风庭院。叮咛记取儿家。碧云隐映红霞。直下小桥流水，门前一树桃花。', '清平乐'),  # partly traditional (the 2019 file)
    Poem('wudaishici/huajianji/huajianji-1-juan.json', '温庭筠', '菩萨蛮', ['小山重叠金明灭，鬓云欲度香腮雪。', '懒起画蛾眉，弄妆梳洗迟。', '照花前后镜，花面交相映。', '新帖绣罗襦，双双金鹧鸪。'], '小山重叠金明灭，鬓云欲度香腮雪。懒起画蛾眉，弄妆梳洗迟。照花前后镜，花面交相映。新帖绣罗襦，双双金鹧鸪。', '菩萨蛮'),
    Poem('wudaishici/huajianji/huajianji-1-juan.json', '温庭筠', '菩萨蛮', ['水晶帘里玻璃枕，暖香惹梦鸳鸯锦。', '江上柳如烟，雁飞残月天。', '藕丝秋色浅，人胜参差剪。', '双鬓隔香红，玉钗头上风。'], '水晶帘里玻璃枕，暖香惹梦鸳鸯锦。江上柳如烟，雁飞残月天。藕丝秋色浅，人胜参差剪。双鬓隔香红，玉钗头上风。', '菩萨蛮'),
    Poem('wudaishici/nantang/poetrys.json', '李璟', '应天长', ['一钩初月临妆镜，蝉鬓凤钗慵不整。', '重帘静，层楼迥，惆怅落花风不定。', '柳堤芳草径，梦断辘轳金井。', '昨夜更阑酒醒，春愁过却病。'], '一钩初月临妆镜，蝉鬓凤钗慵不整。重帘静，层楼迥，惆怅落花风不定。柳堤芳草径，梦断辘轳金井。昨夜更阑酒醒，春愁过却病。', '应天长'),
    Poem('wudaishici/nantang/poetrys.json', '李璟', '望远行', ['碧砌花光照眼明，朱扉长日镇长扃。', '馀寒欲去梦难成，炉香烟冷自亭亭。', '辽阳月、秣陵砧，不传消息但传情。', '黄金台下忽然惊，徵人归日二毛生！'], '碧砌花光照眼明，朱扉长日镇长扃。馀寒欲去梦难成，炉香烟冷自亭亭。辽阳月、秣陵砧，不传消息但传情。黄金台下忽然惊，征人归日二毛生！', '望远行'),
]

# 声律启蒙 (dist/mengxue/shenglvqimeng.json), three of its 90 paragraphs as the package stores them. 九 佳's
# last sentence has a '。' where a '，' belongs.
SHENGLV_QIMENG = {"title": "聲律啓蒙", "author": "車萬育", "abstract": "", "content": [{"title": "上卷", "content": [
    {"chapter": "一 東", "paragraphs": [
        "雲對雨，雪對風，晚照對晴空。來鴻對去燕，宿鳥對鳴蟲。三尺劍，六鈞弓，嶺北對江東。人間清暑殿，天上廣寒宮。"
        "兩岸曉煙楊柳綠，一園春雨杏花紅。兩鬢風霜，途次早行之客；一蓑煙雨，溪邊晚釣之翁。"]},
    {"chapter": "八 齊", "paragraphs": [
        "雲對雨，水對泥，白璧對玄圭。獻瓜對投李，禁鼓對徵鼙。徐稚榻，魯班梯，鳳翥對鸞棲，有官清似水，無客醉如泥。"
        "截髮惟聞陶侃母，斷機只有樂羊妻。秋望佳人，目送樓頭千里雁；早行遠客，夢驚枕上五更雞。"]},
    {"chapter": "九 佳", "paragraphs": [
        "河對海，漢對淮，赤岸對朱崖。鷺飛對魚躍，寶鈿對金釵。魚圉圉，鳥喈喈，草履對芒鞋。古賢嘗篤厚，時輩喜詼諧。"
        "孟訓文公談性善，顏師孔子問心齋。緩撫琴絃，像流鶯而並語；斜排箏柱。類過雁之相挨。"]}]}]}

# Same file names as real poem files, but not poems: the package's error/ folder (records flagged with
# `error_type`) and strains/ (tone patterns only, no `paragraphs`). Neither may reach the corpus.
ERROR_POEM = {
    "author": "王維", "title": "鳥鳴澗", "id": "e0",
    "paragraphs": ["人閒桂花落，夜靜春山空。", "月出驚山鳥，時鳴春澗中。"],
    "error_type": ["测试"],
}
# 花间集's preface is prose in a record shaped like a ci (its file name is not a juan's): never read.
HUAJIANJI_PREFACE = {"title": "花間集序", "author": "歐陽炯", "rhythmic": "花间集", "notes": [],
                     "paragraphs": ["鏤玉雕瓊，擬化工而迥巧；裁花剪葉，奪春豔以爭鮮。"]}
STRAINS_RECORD = {"id": "s0", "strains": ["平平平仄仄，仄仄仄平平。", "仄仄平平仄，平平仄仄平。"]}


def _records(poems: list[Poem], file: str) -> list[dict]:
    return [{"author": p.author, "title": p.title, "paragraphs": p.paragraphs, "id": f"{file}-{i}"}
            for i, p in enumerate(poems) if p.file == file]


def source_files() -> dict[str, list]:
    """Relative path → JSON content of every file in the fixture tree (an npm package's `dist/`)."""
    files = {}
    for poems in (TANG_POEMS, SONG_POEMS):
        for name in dict.fromkeys(p.file for p in poems):
            files[f"dist/quantangshi/{name}"] = _records(poems, name)
    for name in dict.fromkeys(p.file for p in CI_POEMS):
        files[f"dist/{name}"] = [{"author": p.author, "paragraphs": p.paragraphs, "rhythmic": p.title}
                                 for p in CI_POEMS if p.file == name]
    files["dist/wudaishici/huajianji/huajianji-0-preface.json"] = [HUAJIANJI_PREFACE]
    files["dist/mengxue/shenglvqimeng.json"] = SHENGLV_QIMENG
    files["dist/rank/ci/ci.song.rank.0.json"] = [{"author": "晏殊", "rhythmic": "浣溪沙", "baidu": 1}]
    files["dist/quantangshi/error/poet.tang.0.json"] = [ERROR_POEM]
    files["dist/strains/json/poet.tang.0.json"] = [STRAINS_RECORD]
    files["dist/rank/poet/poet.tang.rank.0.json"] = [{"author": "李白", "title": "靜夜思", "baidu": 1}]
    return files


def write_source(root: Path) -> Path:
    for rel, content in source_files().items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(content, ensure_ascii=False, indent=2), encoding="utf-8")
    (root / "package.json").write_text('{"name": "chinese-poetry", "version": "2.0.1"}', encoding="utf-8")
    return root


@pytest.fixture(scope="session")
def poem_source(tmp_path_factory) -> Path:
    """A chinese-poetry-shaped directory (the unpacked npm package)."""
    return write_source(tmp_path_factory.mktemp("source") / "package")


@pytest.fixture(scope="session")
def poem_tarball(poem_source, tmp_path_factory) -> Path:
    """The same tree as `npm pack` ships it: chinese-poetry-2.0.1.tgz with a `package/` prefix."""
    path = tmp_path_factory.mktemp("tarball") / "chinese-poetry-2.0.1.tgz"
    with tarfile.open(path, "w:gz") as tar:
        tar.add(poem_source, arcname="package")
    return path


@pytest.fixture(scope="session")
def built_corpus(poem_source, tmp_path_factory) -> Path:
    """The fixture's Tang poems built into a corpus DIR (with keywords), for tests that train or evaluate."""
    from poetry_gen.corpus import build_corpus

    out = tmp_path_factory.mktemp("built") / "tang"
    build_corpus(poem_source, out, progress=False)
    return out


def _tiny_checkpoint(path, vocab, train_state=None, theme_words=None, **config):
    """A checkpoint of a small model with fixed random weights over `vocab`."""
    from poetry_gen.checkpoint import save_checkpoint
    from poetry_gen.model import ModelConfig, PoetryLM

    torch.manual_seed(0)
    config = ModelConfig(len(vocab), **{"embed_dim": 24, "hidden_dim": 32, "num_layers": 1,
                                        "attention_heads": 2, **config})
    save_checkpoint(path, model=PoetryLM(config), vocab=vocab, train_state=train_state or {}, theme_words=theme_words)
    return path


@pytest.fixture(scope="session")
def fresh_python():
    """fresh_python(code) -> the finished `python -c code`, in a new process at the repository's root: what
    a user's first import sees (which modules load, and when)."""
    def run(code: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                              cwd=Path(__file__).resolve().parents[1])
    return run


@pytest.fixture(scope="session")
def tiny_checkpoint():
    """tiny_checkpoint(path, vocab, train_state=None, theme_words=None, **config) -> path: writes a small
    random model."""
    return _tiny_checkpoint


def _as_version_1(data: dict) -> dict:
    """A checkpoint dict laid out as format version 1 wrote it: the theme words and one flat
    train_config of model, optimisation and run fields inside train_state."""
    state = dict(data["train_state"])
    flat = {**data["config"], **state.pop("optim_config", {}), **state.pop("run_config", {})}
    if data["theme_words"] is not None:
        state["theme_words"] = data["theme_words"]
    return {"format_version": 1, "config": dict(data["config"]), "state_dict": data["state_dict"],
            "vocab": data["vocab"], "train_state": state | {"train_config": flat}}


@pytest.fixture(scope="session")
def as_version_1():
    """as_version_1(checkpoint dict) -> the same checkpoint laid out as format version 1 wrote it."""
    return _as_version_1


@pytest.fixture(scope="module")
def checkpoint(built_corpus, tmp_path_factory):
    """A small random model over the fixture corpus's vocabulary (a module may override it)."""
    from poetry_gen.corpus import load_vocab

    return _tiny_checkpoint(tmp_path_factory.mktemp("random_model") / "model.pt", load_vocab(built_corpus))


@pytest.fixture(scope="module")
def gen(checkpoint):
    """A Generator of `checkpoint`, on the CPU."""
    from poetry_gen import load_generator

    return load_generator(checkpoint, device="cpu")


@pytest.fixture(scope="module")
def server(gen):
    """A `poetry-gen serve` server of `gen` on a free loopback port, serving on a thread (its .url)."""
    import threading

    from poetry_gen.server import PoemApp, PoemServer

    server = PoemServer(PoemApp(lambda: gen), "127.0.0.1", 0, log_requests=False)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def fits_by_the_table(check) -> bool:
    """Whether the checked poem fits one of its form's templates without a classical fault, each
    character read by its own tones, as the decoder reads them: what strict tones promise (the checker
    may also read a polyphone by its word: 单子's 单 is 平, where the decoder saw 中)."""
    def fits(template) -> bool:
        for i, (line, pattern) in enumerate(zip(check.lines, template.lines)):
            tones = tuple(prosody.tones(ch) for ch in line.text)
            if any(not prosody.fits(t, None if mark == "中" else mark) for t, mark in zip(tones, pattern)):
                return False
            if prosody.line_faults(tones, pattern, i):
                return False
        return True

    return any(fits(template) for template in prosody.templates(check.form))
