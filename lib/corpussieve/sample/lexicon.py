"""Word lists for the English-like text of the sample corpus."""

NOUNS = """
account agency airport analysis animal answer apartment approach area argument army article artist audience
author bank basket battle beach bedroom bicycle bird board boat body bottle boundary bridge budget building
business cabinet camera campaign candidate capital captain career carpet castle category ceiling celebration
century chain chairman challenge champion channel chapter character chemical child church citizen city claim
classroom climate clinic club coach coast collection college committee community company competition
computer concert condition conference contract council country county course court crowd culture customer
database daughter decade decision defense department design detail device director discovery district doctor
document driver economy editor election electricity employee energy engine engineer environment equipment
estate evening event evidence exhibition experience expert factory family farmer feature festival figure film
finance fisherman flight football forest foundation framework freedom friend function future gallery garden
generation government governor graduate guest guide harbor health highway historian history hospital hotel
household husband idea income industry infrastructure insurance interview investment island journal journey
judge kitchen laboratory landscape language lawyer leader lecture library license literature machine magazine
manager manufacturer market meeting member memory message method minister mission model moment morning
mountain museum musician nation network newspaper novel nurse ocean office officer opinion orchestra
organization owner painting parent parliament partner passenger patient pattern payment performance period
permission person philosophy photograph physician pilot planet platform player poem poet police policy
population port position poverty president priest principle prison problem procedure process producer product
professor program project property proposal province publisher quality question railway reader recipe
recording region relationship report reporter republic research resident resource restaurant result river
road route rule safety salary scheme scholar school science scientist season secretary sector senator series
service settlement shelter shop signal singer situation society software soldier solution speaker species
stadium station statement strategy street student studio study subject supply surface survey system teacher
team technology television temple tenant territory theater theory tournament tower town tradition trail
training transport treaty tribe tunnel university valley vehicle village visitor volunteer voter warehouse
weather website window winter worker workshop writer
""".split()

VERBS = """
accept achieve acquire add address admit adopt advise affect agree allow analyze announce appear apply approve
argue arrange assess assume attend attract avoid balance begin believe borrow build calculate call change check
choose claim collect combine compare complete concern confirm connect consider contain continue contribute
control convert create cut debate decide declare defend define deliver demand deny describe design develop
discover discuss display divide document earn encourage enjoy ensure establish estimate examine expand expect
explain explore express extend face finish follow form gather grow handle help highlight hire identify imagine
improve include increase indicate influence inform install introduce investigate invite join judge launch lead
learn limit maintain manage measure mention monitor move notice observe obtain offer open organize outline
perform plan predict prepare present preserve prevent produce promote propose protect prove provide publish
question raise reach receive recognize recommend record reduce reflect reject release remain remove repair
replace report represent require resolve respond restore reveal review schedule secure select share show
solve study suggest support survey test train transform travel treat understand update use visit welcome win
""".split()

IRREGULAR_PAST = {
    "begin": "began", "build": "built", "choose": "chose", "cut": "cut", "grow": "grew", "lead": "led",
    "learn": "learned", "show": "showed", "win": "won", "understand": "understood", "hire": "hired",
}

ADJECTIVES = """
able absolute academic active actual additional administrative ancient annual anxious available aware basic
beautiful brief bright broad busy calm capable careful central certain cheap chemical chief civil classic clear
close coastal cold comfortable commercial common complex comprehensive concrete confident considerable
consistent constant contemporary cultural current curious daily dark dear decent deep democratic detailed
different difficult digital direct distant domestic dramatic dry early eastern economic educational effective
efficient elderly electric emotional empty entire environmental equal essential evident exact excellent
existing expensive experimental external extra fair familiar famous federal final financial firm flat foreign
formal former fortunate free frequent fresh friendly full fundamental general generous gentle global golden
gradual grand great green growing guilty happy hard healthy heavy historic honest huge ideal immediate important
impressive independent individual industrial informal initial inner innovative internal international
key large late legal likely limited literary live local logical long loud low main major medical mental
mere middle military minor missing mobile modern moral narrow national natural necessary negative neutral new
nice normal northern notable novel numerous obvious official old open operational ordinary organic original
outer overall parallel particular past patient peaceful personal physical plain political popular positive
possible potential powerful practical precise present previous primary private professional progressive proper
public quick quiet rapid rare raw real reasonable recent regional regular relevant reliable remarkable remote
responsible rich rural safe scientific secure senior serious sharp short significant silent similar simple
single slow small smooth social solid southern special specific stable standard steady strange strategic
strong structural successful sudden sufficient suitable sweet technical temporary thin tiny total traditional
tropical typical unable uncertain unique universal unusual upper urban useful usual valuable various vast
visible vital warm weak wealthy western whole wide wild wooden young
""".split()

ADVERBS = """
actually almost already always carefully certainly clearly closely currently definitely directly easily
eventually exactly finally fully generally gradually greatly highly immediately increasingly largely likely
mainly merely mostly nearly normally notably obviously often originally particularly perhaps possibly
previously primarily probably quickly rapidly rarely recently relatively seriously significantly simply slowly
steadily strongly suddenly surely typically usually widely
""".split()

PLACES = """
Ashford Bramley Calder Dunmore Eastwick Fairhaven Glenrock Harlow Ivybridge Kestrel Lindale Marston Northgate
Oakridge Pemberton Queensbury Redcliff Stonebridge Thornbury Upton Valemont Westerly Yardley Zennor Alderton
Birchwood Coldstream Dalton Elmhurst Foxley Greystone Hollowmere Inverleigh Juniper Kingsmoor Lowfield
Millbrook Newhaven Oldcastle Portland Riverside Southwick Thistledown Underhill Whitmore
""".split()

PEOPLE = """
Alice Adams, Ben Carter, Chloe Diaz, Daniel Evans, Emma Foster, Felix Grant, Grace Hughes, Henry Irving,
Isla Jensen, Jack Kelly, Karen Lewis, Liam Moore, Maya Nolan, Noah Owens, Olivia Price, Peter Quinn,
Rachel Reed, Samuel Scott, Tara Turner, Umar Vance, Vera Walsh, William Young, Zoe Baker, Aaron Brooks,
Bella Cruz, Caleb Dunn, Diana Ellis, Ethan Fox, Fiona Gray, George Hale, Hannah Ivers, Ian James
""".replace("\n", " ").split(", ")

STOPWORDS_USED = ("the", "and", "of", "to", "that", "with", "in", "for", "on", "was", "is", "by", "as", "this")
