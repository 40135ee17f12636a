"""Built-in lists the us-ui scenario draws from: common US names, streets, places.

Names and streets are common words; every combination, number and identifier the
generator makes from them is invented. ZIP codes and city names are public postal
facts, used so addresses look like the region's (no real address is built from them).
"""

from __future__ import annotations

MALE_GIVEN = (
    "James", "John", "Robert", "Michael", "William", "David", "Richard", "Joseph", "Thomas",
    "Charles", "Christopher", "Daniel", "Matthew", "Anthony", "Mark", "Donald", "Steven",
    "Paul", "Andrew", "Joshua", "Kevin", "Brian", "George", "Timothy", "Ronald", "Edward",
    "Jason", "Jeffrey", "Ryan", "Jacob", "Gary", "Nicholas", "Eric", "Jonathan", "Stephen",
    "Larry", "Justin", "Scott", "Brandon", "Benjamin", "Samuel", "Gregory", "Patrick",
    "Raymond", "Dennis", "Tyler", "Aaron", "Jose", "José", "Luis", "Carlos", "Juan", "Jesús",
    "Miguel", "Ángel", "Raúl", "Ramón", "Andrés", "André", "Héctor", "Darnell", "Malik",
    "Tyrone", "DeShawn", "Wei", "Hyun", "Rajesh", "Mohammed", "Sean", "Connor", "Liam",
    "Noah", "Ethan", "Mason", "Logan", "Lucas", "Elijah", "Owen", "Caleb", "Isaac", "Adrian",
    "Julian", "Gabriel", "Diego", "Mateo", "Santiago", "Joaquín", "Rafael", "Fernando",
    "Ricardo", "Eduardo", "Sergio", "Alejandro", "Marco", "Giovanni", "Vincent", "Dominic",
    "Francis", "Peter", "Kenneth", "Frank", "Arthur", "Harold", "Walter", "Henry", "Carl",
    "Roger", "Keith", "Terrence", "Marcus", "Jamal", "Andre", "Darius", "Kwame", "Tariq",
    "Omar", "Yusuf", "Arjun", "Vikram", "Sanjay", "Minh", "Tuan", "Jin", "Hiroshi", "Kenji",
    "Dmitri", "Piotr", "Tomasz", "Stefan", "Lars", "Björn", "François", "Émile", "Jean",
)  # fmt: skip

FEMALE_GIVEN = (
    "Mary", "Patricia", "Jennifer", "Linda", "Elizabeth", "Barbara", "Susan", "Jessica",
    "Sarah", "Karen", "Lisa", "Nancy", "Betty", "Margaret", "Sandra", "Ashley", "Kimberly",
    "Emily", "Donna", "Michelle", "Carol", "Amanda", "Dorothy", "Melissa", "Deborah",
    "Stephanie", "Rebecca", "Sharon", "Laura", "Cynthia", "Kathleen", "Amy", "Angela",
    "Shirley", "Anna", "Brenda", "Pamela", "Emma", "Nicole", "Helen", "Samantha", "Katherine",
    "Christine", "Rachel", "Maria", "María", "Ana", "Sofía", "Lucía", "Inés", "Guadalupe",
    "Rosa", "Carmen", "Zoë", "Chloé", "Renée", "Noémie", "Aaliyah", "Keisha", "Tamika",
    "Latoya", "Mei", "Priya", "Fatima", "Siobhan", "Bridget", "Mary Ann", "Ann Marie",
    "Olivia", "Ava", "Isabella", "Mia", "Charlotte", "Amelia", "Harper", "Evelyn", "Abigail",
    "Ella", "Grace", "Victoria", "Madison", "Hannah", "Natalie", "Brianna", "Alexis", "Megan",
    "Lauren", "Danielle", "Courtney", "Tiffany", "Crystal", "Heather", "Tracy", "Dawn",
    "Gloria", "Teresa", "Diane", "Janet", "Joyce", "Judith", "Marilyn", "Frances", "Jean",
    "Alicia", "Beatriz", "Daniela", "Valentina", "Camila", "Ximena", "Marisol", "Yolanda",
    "Esperanza", "Graciela", "Adriana", "Leticia", "Francesca", "Giulia", "Agnieszka",
    "Katarzyna", "Ngozi", "Amara", "Imani", "Shanice", "Aisha", "Leila", "Yasmin", "Anjali",
    "Deepa", "Lakshmi", "Linh", "Thuy", "Hana", "Yuki", "Seo-yeon", "Ji-woo", "Ingrid",
    "Astrid", "Hélène", "Geneviève", "Léa", "Maëlle", "Chantal",
)  # fmt: skip

FAMILY = (
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Miller", "Davis", "Wilson", "Anderson",
    "Taylor", "Thomas", "Moore", "Jackson", "Martin", "Lee", "Thompson", "White", "Harris",
    "Clark", "Lewis", "Robinson", "Walker", "Young", "Allen", "King", "Wright", "Scott",
    "Hill", "Green", "Adams", "Baker", "Nelson", "Carter", "Mitchell", "Roberts", "Turner",
    "Phillips", "Campbell", "Parker", "Evans", "Edwards", "Collins", "Stewart", "Morris",
    "Murphy", "Cook", "Rogers", "Morgan", "Cooper", "Peterson", "Reed", "Bailey", "Bell",
    "Kelly", "Howard", "Ward", "Cox", "Richardson", "Wood", "Watson", "Brooks", "Bennett",
    "Gray", "James", "Hughes", "Price", "Sanders", "Myers", "Long", "Ross", "Foster",
    "Garcia", "García", "Rodríguez", "Martínez", "Hernández", "López", "González", "Pérez",
    "Sánchez", "Ramírez", "Torres", "Flores", "Rivera", "Gómez", "Díaz", "Cruz", "Morales",
    "Ortiz", "Gutiérrez", "Chávez", "Ramos", "Ruiz", "Peña", "Muñoz", "Núñez", "Ibáñez",
    "García López", "Martínez Ruiz", "Hernández Soto", "Rivera Colón", "De La Cruz",
    "De Jesús", "Del Río", "De León", "Van der Berg", "Van Dyke", "Von Essen", "St. John",
    "O'Brien", "O'Connor", "O'Neill", "McDonald", "McCarthy", "MacKenzie", "McGrath",
    "Smith-Jones", "Lee-Park", "Harris-Perry", "Nguyen", "Tran", "Kim", "Park", "Chen",
    "Wang", "Patel", "Shah", "Singh", "Kowalski", "Nowak", "Russo", "Esposito", "Romano",
    "Müller", "Schröder", "Brennan", "Gallagher", "Washington", "Jefferson",
    "Butler", "Barnes", "Fisher", "Henderson", "Coleman", "Simmons", "Patterson", "Jordan",
    "Reynolds", "Hamilton", "Graham", "Wallace", "Woods", "Cole", "West", "Owens", "Marshall",
    "Ellis", "Harrison", "Gibson", "McKenzie", "Kennedy", "Wells", "Alvarez", "Castillo",
    "Vásquez", "Jiménez", "Mendoza", "Romero", "Herrera", "Medina", "Aguilar", "Vargas",
    "Castro", "Guzmán", "Fernández", "Salazar", "Delgado", "Rojas", "Santiago", "Figueroa",
    "Acosta", "Pacheco", "Quiñones", "Bryant", "Alexander", "Russell", "Griffin", "Hayes",
    "Ford", "Hunter", "Holmes", "Palmer", "Black", "Robertson", "Stone", "Warren",
    "Fox", "Rose", "Rice", "Moreno", "Schmidt", "Wagner", "Becker", "Hoffman", "Weber",
    "Klein", "Novak", "Wójcik", "Lewandowski", "Kaminski", "Zielinski", "Costa", "Ricci",
    "Marino", "Greco", "Bruno", "Gallo", "Conti", "De Luca", "Mancini", "Lombardi", "Barbieri",
    "Fitzgerald", "Sullivan", "Doyle", "Quinn", "Byrne", "Lynch", "Walsh", "Ryan", "Hogan",
    "Dunn", "Kaur", "Gupta", "Kumar", "Mehta", "Desai", "Iyer", "Reddy", "Joshi", "Yang",
    "Huang", "Zhao", "Wu", "Zhou", "Xu", "Liu", "Lin", "Choi", "Jung", "Kang", "Cho", "Yoon",
    "Pham", "Hoang", "Vu", "Dang", "Bui", "Do", "Ali", "Hassan", "Hussein", "Ibrahim", "Khan",
    "Rahman", "Cohen", "Levy", "Friedman", "Katz", "Goldberg", "Rosen", "Shapiro", "Adeyemi",
    "Okafor", "Mensah", "Owusu", "Diallo", "Pierre", "Jean-Baptiste", "Joseph", "Charles",
    "Baptiste", "Dubois", "Lefèvre", "Bouchard", "Côté", "Gagnon", "Pelletier", "Da Silva",
    "Dos Santos", "Oliveira", "Pereira", "Souza", "Carvalho", "Ferreira", "Gonçalves",
    "Torres Vega", "Cruz Morales", "Reyes Ortega", "Santos Díaz", "López-Ramos", "Kim-Lee",
    "O'Malley", "O'Sullivan", "McLaughlin", "McBride", "MacDonald", "Van Buren", "Van Houten",
    "DeMarco", "DiNapoli", "LaRosa", "St. Clair", "Du Pont", "Le Blanc", "Della Rosa",
)  # fmt: skip

SUFFIXES = ("JR", "SR", "II", "III")

STREET_NAMES = (
    "Main", "Oak", "Maple", "Park", "Washington", "Lincoln", "Chestnut", "Elm", "Broad",
    "Highland", "Lake", "Hill", "Center", "River", "Spruce", "Cedar", "Pine", "Walnut",
    "Franklin", "Jefferson", "Madison", "Grove", "Market", "Church", "School", "Mill",
    "Spring", "Union", "Prospect", "Ridge", "Valley", "Summit", "Sunset", "Forest",
    "Liberty", "Monroe", "Hamilton", "Cherry", "Locust", "Willow", "Jackson", "Adams",
    "Front", "Water", "Bergen", "Morris", "Passaic", "Delaware", "Hudson", "Ocean",
)  # fmt: skip

# (USPS standard suffix, spellings seen in source systems)
STREET_SUFFIXES = (
    ("ST", ("Street", "St", "St.", "STR")),
    ("AVE", ("Avenue", "Ave", "Ave.", "AV")),
    ("RD", ("Road", "Rd", "Rd.")),
    ("DR", ("Drive", "Dr", "Dr.")),
    ("LN", ("Lane", "Ln")),
    ("BLVD", ("Boulevard", "Blvd", "Blvd.")),
    ("CT", ("Court", "Ct")),
    ("PL", ("Place", "Pl")),
    ("TER", ("Terrace", "Ter", "Terr")),
)

DIRECTIONS = (("N", "North"), ("S", "South"), ("E", "East"), ("W", "West"))

# (USPS unit designator, spellings)
UNITS = (("APT", ("Apt", "Apt.", "APT", "#")), ("UNIT", ("Unit",)), ("STE", ("Suite", "Ste")))

# (city, state code, ZIP codes): New Jersey first; commuters live across the rivers.
PLACES = (
    ("Newark", "NJ", ("07102", "07103", "07104", "07105", "07106", "07107", "07108")),
    ("Jersey City", "NJ", ("07302", "07304", "07305", "07306", "07307")),
    ("Paterson", "NJ", ("07501", "07502", "07503", "07504", "07505")),
    ("Elizabeth", "NJ", ("07201", "07202", "07206", "07208")),
    ("Trenton", "NJ", ("08608", "08609", "08611", "08618", "08629")),
    ("Camden", "NJ", ("08102", "08103", "08104", "08105")),
    ("Clifton", "NJ", ("07011", "07012", "07013", "07014")),
    ("Edison", "NJ", ("08817", "08820", "08837")),
    ("Woodbridge", "NJ", ("07095",)),
    ("Toms River", "NJ", ("08753", "08755", "08757")),
    ("Cherry Hill", "NJ", ("08002", "08003", "08034")),
    ("Vineland", "NJ", ("08360", "08361")),
    ("New Brunswick", "NJ", ("08901",)),
    ("Hoboken", "NJ", ("07030",)),
    ("Bayonne", "NJ", ("07002",)),
    ("Passaic", "NJ", ("07055",)),
    ("Union City", "NJ", ("07087",)),
    ("Sicklerville", "NJ", ("08081",)),
    ("Glassboro", "NJ", ("08028",)),
    ("Atlantic City", "NJ", ("08401",)),
    ("Morristown", "NJ", ("07960",)),
    ("Princeton", "NJ", ("08540", "08542")),
    ("Staten Island", "NY", ("10301", "10304", "10306", "10314")),
    ("Yonkers", "NY", ("10701", "10703", "10705")),
    ("Philadelphia", "PA", ("19103", "19120", "19124", "19134", "19143")),
    ("Levittown", "PA", ("19054", "19055", "19057")),
)

# Every state (and DC and Puerto Rico): USPS code and name.
STATES = (
    ("AL", "Alabama"), ("AK", "Alaska"), ("AZ", "Arizona"), ("AR", "Arkansas"),
    ("CA", "California"), ("CO", "Colorado"), ("CT", "Connecticut"), ("DE", "Delaware"),
    ("DC", "District of Columbia"), ("FL", "Florida"), ("GA", "Georgia"), ("HI", "Hawaii"),
    ("ID", "Idaho"), ("IL", "Illinois"), ("IN", "Indiana"), ("IA", "Iowa"), ("KS", "Kansas"),
    ("KY", "Kentucky"), ("LA", "Louisiana"), ("ME", "Maine"), ("MD", "Maryland"),
    ("MA", "Massachusetts"), ("MI", "Michigan"), ("MN", "Minnesota"), ("MS", "Mississippi"),
    ("MO", "Missouri"), ("MT", "Montana"), ("NE", "Nebraska"), ("NV", "Nevada"),
    ("NH", "New Hampshire"), ("NJ", "New Jersey"), ("NM", "New Mexico"), ("NY", "New York"),
    ("NC", "North Carolina"), ("ND", "North Dakota"), ("OH", "Ohio"), ("OK", "Oklahoma"),
    ("OR", "Oregon"), ("PA", "Pennsylvania"), ("PR", "Puerto Rico"), ("RI", "Rhode Island"),
    ("SC", "South Carolina"), ("SD", "South Dakota"), ("TN", "Tennessee"), ("TX", "Texas"),
    ("UT", "Utah"), ("VT", "Vermont"), ("VA", "Virginia"), ("WA", "Washington"),
    ("WV", "West Virginia"), ("WI", "Wisconsin"), ("WY", "Wyoming"),
)  # fmt: skip

AREA_CODES = {
    "NJ": ("201", "551", "609", "640", "732", "848", "856", "862", "908", "973"),
    "NY": ("718", "347", "914"),
    "PA": ("215", "267", "445"),
}

BUSINESS_WORDS = (
    "Garden State", "Liberty", "Meadowlands", "Shore", "Pine Barrens", "Delaware Valley",
    "Raritan", "Hudson", "Passaic River", "Atlantic", "Keystone", "Palisades", "Highlands",
    "Tri-County", "Union", "Central Jersey", "Seaboard", "Ironbound", "Cape May", "Ramapo",
)  # fmt: skip

BUSINESS_KINDS = (
    "Logistics", "Health Services", "Diner", "Construction", "Staffing", "Auto Body",
    "Warehousing", "Home Care", "Landscaping", "Electric", "Plumbing", "Pharmacy",
    "Manufacturing", "Bakery", "Security Services", "Cleaning", "Trucking", "Dental Group",
)  # fmt: skip

BUSINESS_FORMS = ("LLC", "Inc", "Co", "Corp", "LLP")
