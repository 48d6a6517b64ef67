/**
 * The answer-quality set of `npm run bench -- quality`: four small businesses (profile +
 * documents) and the questions their visitors ask. Written for this benchmark, not taken
 * from the hidden set. Each question names the passage that answers it (`expect`: a
 * document title, or `profile:<field>`) and a short fact the offline answer must contain.
 *
 * `lexical` questions share content words with their passage; `paraphrase` questions share
 * none after stemming (checked by the benchmark itself, which prints any that do); an
 * `unanswerable` question has no answer in the business's material.
 */
export interface QualityDocument {
  title: string;
  content: string;
}

export interface QualityQuestion {
  q: string;
  kind: 'lexical' | 'paraphrase' | 'unanswerable';
  /** A document title, or `profile:hours` / `profile:location` / `profile:services` / `profile:contact` / `profile:description` / `profile:goal`, or an FAQ question. */
  expect?: string;
  /** Lower-case text the offline provider's answer must contain. */
  fact?: string;
}

export interface QualityBusiness {
  name: string;
  description: string;
  primaryGoal: string;
  hours: string;
  location: string;
  services: string[];
  contactEmail: string;
  contactPhone: string;
  documents: QualityDocument[];
  questions: QualityQuestion[];
}

export const QUALITY_SET: QualityBusiness[] = [
  {
    name: 'Harbour View Guesthouse',
    description: 'A family-run guesthouse with six rooms overlooking the harbour.',
    primaryGoal: 'Book a room directly with us for the best rate.',
    hours: 'Check-in from 3pm, check-out by 11am. Reception is staffed from 8am to 8pm.',
    location: '12 Quay Street, Porthaven, next to the lifeboat station.',
    services: ['Double rooms', 'Family suite', 'Full breakfast', 'Secure bike storage'],
    contactEmail: 'stay@harbourview.example',
    contactPhone: '+44 1632 960123',
    documents: [
      { title: 'Parking', content: 'Guests park free of charge behind the building. Spaces are first come, first served, and there is room for eight vehicles.' },
      { title: 'Pets', content: 'Dogs are welcome in our ground-floor rooms for £10 per night. We cannot accommodate cats or other animals.' },
      { title: 'Breakfast', content: 'A full breakfast is served from 7:30 to 10am in the conservatory. Vegetarian and gluten-free dishes are always on the menu.' },
      { title: 'Cancellation policy', content: 'Free cancellation up to 48 hours before arrival. Later cancellations are charged the first night.' },
      { title: 'Getting here', content: 'We are a ten-minute walk from Porthaven railway station. Taxis wait outside the station all day.' },
      { title: 'Wi-Fi', content: 'Free wireless internet reaches every room. The password is on the card in your room.' },
    ],
    questions: [
      { q: 'What time is check-in?', kind: 'lexical', expect: 'profile:hours', fact: '3pm' },
      { q: 'Is parking free?', kind: 'lexical', expect: 'Parking', fact: 'free of charge' },
      { q: 'Are dogs welcome?', kind: 'lexical', expect: 'Pets', fact: '£10' },
      { q: 'When is breakfast served?', kind: 'lexical', expect: 'Breakfast', fact: '7:30' },
      { q: 'What is your cancellation policy?', kind: 'lexical', expect: 'Cancellation policy', fact: '48 hours' },
      { q: 'How far is the railway station?', kind: 'lexical', expect: 'Getting here', fact: 'ten-minute walk' },
      { q: 'Where can I leave my car?', kind: 'paraphrase', expect: 'Parking', fact: 'behind the building' },
      { q: 'Can I bring my puppy along?', kind: 'paraphrase', expect: 'Pets', fact: 'dogs are welcome' },
      { q: 'Can I get something to eat in the morning?', kind: 'paraphrase', expect: 'Breakfast', fact: '7:30' },
      { q: 'If my plans change, will I get my money back?', kind: 'paraphrase', expect: 'Cancellation policy', fact: '48 hours' },
      { q: 'Can I get online?', kind: 'paraphrase', expect: 'Wi-Fi', fact: 'wireless internet' },
      { q: 'How do I reach you by train?', kind: 'paraphrase', expect: 'Getting here', fact: 'railway station' },
      { q: 'By what hour must we vacate?', kind: 'paraphrase', expect: 'profile:hours', fact: '11am' },
      { q: 'What is the address?', kind: 'paraphrase', expect: 'profile:location', fact: 'quay street' },
      { q: 'Can I keep my bicycle somewhere safe?', kind: 'paraphrase', expect: 'profile:services', fact: 'bike storage' },
      { q: 'Do you cater for coeliacs in the mornings?', kind: 'paraphrase', expect: 'Breakfast', fact: 'gluten-free' },
      { q: 'How can I ring you?', kind: 'paraphrase', expect: 'profile:contact', fact: '1632' },
      { q: 'Are four-legged friends allowed?', kind: 'paraphrase', expect: 'Pets', fact: 'dogs are welcome' },
      { q: 'Can I get my deposit back if I call off?', kind: 'paraphrase', expect: 'Cancellation policy', fact: '48 hours' },
      { q: 'Is the guesthouse near public transport?', kind: 'paraphrase', expect: 'Getting here', fact: 'railway station' },
      { q: 'What do you offer?', kind: 'paraphrase', expect: 'profile:services', fact: 'double rooms' },
      { q: 'Do you have a swimming pool?', kind: 'unanswerable' },
      { q: 'Can I pay with bitcoin?', kind: 'unanswerable' },
    ],
  },
  {
    name: 'Brightsmile Dental',
    description: 'A friendly dental practice for the whole family.',
    primaryGoal: 'Book a check-up online or by phone.',
    hours: 'Monday to Friday 8am to 6pm, Saturday 9am to 1pm, closed on Sundays.',
    location: '4 Market Square, Elmbridge, first floor above the pharmacy.',
    services: ['Check-ups', 'Hygienist cleaning', 'Teeth whitening', 'Dental implants', 'Emergency care'],
    contactEmail: 'hello@brightsmile.example',
    contactPhone: '+44 1632 960456',
    documents: [
      { title: 'Emergency appointments', content: 'We keep same-day slots for toothache, broken teeth and swelling. Call us at 8am to get one.' },
      { title: 'Fees', content: 'A check-up costs £55 and a hygienist visit £70. Teeth whitening is £350 for both arches.' },
      { title: 'Nervous patients', content: 'If you feel anxious, we offer sedation and longer appointments. Tell us when you book.' },
      { title: 'Children', content: 'Under-18s have free check-ups. We see kids from their first tooth.' },
      { title: 'Payment plans', content: 'Spread the cost of treatment over 12 months with no interest.' },
      { title: 'Insurance', content: 'We accept Denplan and Bupa dental cover, and we can send claims for you.' },
    ],
    questions: [
      { q: 'Are you open on Saturday?', kind: 'lexical', expect: 'profile:hours', fact: '9am to 1pm' },
      { q: 'How much is a check-up?', kind: 'lexical', expect: 'Fees', fact: '£55' },
      { q: 'Do you offer emergency appointments?', kind: 'lexical', expect: 'Emergency appointments', fact: 'same-day' },
      { q: 'Do you have payment plans?', kind: 'lexical', expect: 'Payment plans', fact: '12 months' },
      { q: 'Do you accept Bupa insurance?', kind: 'lexical', expect: 'Insurance', fact: 'bupa' },
      { q: 'Is teeth whitening expensive?', kind: 'lexical', expect: 'Fees', fact: '£350' },
      { q: 'My tooth hurts badly, can I be seen today?', kind: 'paraphrase', expect: 'Emergency appointments', fact: 'same-day' },
      { q: 'What are your prices?', kind: 'paraphrase', expect: 'Fees', fact: '£55' },
      { q: 'I get scared at the dentist, can you help?', kind: 'paraphrase', expect: 'Nervous patients', fact: 'sedation' },
      { q: 'Do you treat youngsters?', kind: 'paraphrase', expect: 'Children', fact: 'kids' },
      { q: 'Can I pay in instalments?', kind: 'paraphrase', expect: 'Payment plans', fact: '12 months' },
      { q: 'Will my health plan pay?', kind: 'paraphrase', expect: 'Insurance', fact: 'denplan' },
      { q: 'Can I come in at the weekend?', kind: 'paraphrase', expect: 'profile:hours', fact: 'closed on sundays' },
      { q: 'Where is the practice?', kind: 'paraphrase', expect: 'profile:location', fact: 'market square' },
      { q: 'Can you make my smile whiter?', kind: 'paraphrase', expect: 'profile:services', fact: 'whitening' },
      { q: 'How can I get in touch?', kind: 'paraphrase', expect: 'profile:contact', fact: 'hello@brightsmile.example' },
      { q: 'Can I replace a missing tooth?', kind: 'paraphrase', expect: 'profile:services', fact: 'implants' },
      { q: 'Can my toddler be examined?', kind: 'paraphrase', expect: 'Children', fact: 'kids' },
      { q: 'Is there finance available?', kind: 'paraphrase', expect: 'Payment plans', fact: '12 months' },
      { q: 'Can I be put to sleep for my filling?', kind: 'paraphrase', expect: 'Nervous patients', fact: 'sedation' },
      { q: 'What time do you start in the morning?', kind: 'paraphrase', expect: 'profile:hours', fact: '8am' },
      { q: 'Do you do eye tests?', kind: 'unanswerable' },
      { q: 'Is there a lift for wheelchairs?', kind: 'unanswerable' },
    ],
  },
  {
    name: 'Crumb & Co Bakery',
    description: 'An artisan bakery making bread and cakes by hand every morning.',
    primaryGoal: 'Order a celebration cake.',
    hours: 'Tuesday to Sunday 7am to 4pm, closed on Mondays.',
    location: '27 Mill Lane, Ashford, opposite the church.',
    services: ['Sourdough bread', 'Celebration cakes', 'Pastries', 'Coffee'],
    contactEmail: 'orders@crumbandco.example',
    contactPhone: '+44 1632 960789',
    documents: [
      { title: 'Allergens', content: 'Every cake can be made gluten-free on request. Our kitchen handles nuts, so we cannot promise a nut-free bake.' },
      { title: 'Celebration cakes', content: 'Please order five days ahead. Decorated cakes start at £40 and serve twelve.' },
      { title: 'Delivery', content: 'We deliver within five miles for £5, and for free on orders over £50.' },
      { title: 'Vegan range', content: 'Our plant-based loaves and sponges contain no dairy or eggs.' },
      { title: 'Wholesale', content: 'We supply cafés and restaurants with bread every morning. Ask for our trade price list.' },
      { title: 'Baking classes', content: 'Sourdough workshops run on Saturday afternoons and cost £60, flour and apron included.' },
    ],
    questions: [
      { q: 'Are you closed on Mondays?', kind: 'lexical', expect: 'profile:hours', fact: 'closed on mondays' },
      { q: 'Do you have gluten-free cakes?', kind: 'lexical', expect: 'Allergens', fact: 'gluten-free' },
      { q: 'How far ahead should I order a celebration cake?', kind: 'lexical', expect: 'Celebration cakes', fact: 'five days' },
      { q: 'Do you deliver?', kind: 'lexical', expect: 'Delivery', fact: 'five miles' },
      { q: 'Do you run sourdough workshops?', kind: 'lexical', expect: 'Baking classes', fact: '£60' },
      { q: 'Do you supply restaurants?', kind: 'lexical', expect: 'Wholesale', fact: 'trade price' },
      { q: 'Is there anything for coeliacs?', kind: 'paraphrase', expect: 'Allergens', fact: 'gluten-free' },
      { q: 'I am allergic to peanuts, is it safe?', kind: 'paraphrase', expect: 'Allergens', fact: 'nuts' },
      { q: 'Can you bring the bread to my house?', kind: 'paraphrase', expect: 'Delivery', fact: 'five miles' },
      { q: 'Do you bake without milk or animal products?', kind: 'paraphrase', expect: 'Vegan range', fact: 'no dairy' },
      { q: 'I need a birthday gateau, how much?', kind: 'paraphrase', expect: 'Celebration cakes', fact: '£40' },
      { q: 'Can I learn to make bread with you?', kind: 'paraphrase', expect: 'Baking classes', fact: 'sourdough workshops' },
      { q: 'I own a coffee shop, can I buy loaves in bulk?', kind: 'paraphrase', expect: 'Wholesale', fact: 'cafés' },
      { q: 'What time do you start serving?', kind: 'paraphrase', expect: 'profile:hours', fact: '7am' },
      { q: 'How do I find the shop?', kind: 'paraphrase', expect: 'profile:location', fact: 'mill lane' },
      { q: 'Can I grab a latte?', kind: 'paraphrase', expect: 'profile:services', fact: 'coffee' },
      { q: 'Do you sell croissants?', kind: 'paraphrase', expect: 'profile:services', fact: 'pastries' },
      { q: 'Can someone who avoids animal products eat your cakes?', kind: 'paraphrase', expect: 'Vegan range', fact: 'no dairy' },
      { q: 'Do you open at the start of the week?', kind: 'paraphrase', expect: 'profile:hours', fact: 'closed on mondays' },
      { q: 'Do you drop off purchases at home?', kind: 'paraphrase', expect: 'Delivery', fact: 'five miles' },
      { q: 'Do you sell to hotels?', kind: 'paraphrase', expect: 'Wholesale', fact: 'cafés' },
      { q: 'Do you sell wine?', kind: 'unanswerable' },
      { q: 'Is there a car charging point?', kind: 'unanswerable' },
    ],
  },
  {
    name: 'Spoke & Chain Cycles',
    description: 'An independent bike shop with a workshop and rentals.',
    primaryGoal: 'Book a bike service in the workshop.',
    hours: 'Monday to Saturday 9am to 5:30pm, Sunday 10am to 2pm.',
    location: '88 Canal Road, Brookfield, beside the towpath.',
    services: ['Repairs and servicing', 'Electric bike hire', 'Bike fitting', 'Used bikes'],
    contactEmail: 'workshop@spokeandchain.example',
    contactPhone: '+44 1632 960321',
    documents: [
      { title: 'Repairs', content: 'Puncture repair is £12 while you wait. A full service costs £80 and takes two days.' },
      { title: 'Bike hire', content: 'Rent an e-bike for £35 a day, helmet and lock included.' },
      { title: 'Trade-in', content: 'We buy used bikes in good condition, or take them as part payment for a new one.' },
      { title: 'Cycle to work scheme', content: 'We accept Cyclescheme and Bike2Work vouchers, saving you up to 42%.' },
      { title: 'Bike fitting', content: 'A professional fit takes ninety minutes and costs £120, adjusted to your body and riding.' },
      { title: 'Returns', content: 'Unused items can be returned within 30 days with a receipt for a full refund.' },
    ],
    questions: [
      { q: 'How much is a puncture repair?', kind: 'lexical', expect: 'Repairs', fact: '£12' },
      { q: 'Can I rent an e-bike?', kind: 'lexical', expect: 'Bike hire', fact: '£35' },
      { q: 'Do you buy used bikes?', kind: 'lexical', expect: 'Trade-in', fact: 'part payment' },
      { q: 'Do you accept Cyclescheme vouchers?', kind: 'lexical', expect: 'Cycle to work scheme', fact: '42%' },
      { q: 'Are you open on Sunday?', kind: 'lexical', expect: 'profile:hours', fact: '10am to 2pm' },
      { q: 'Can I return unused items?', kind: 'lexical', expect: 'Returns', fact: '30 days' },
      { q: 'My tyre is flat, can you fix it?', kind: 'paraphrase', expect: 'Repairs', fact: 'puncture' },
      { q: 'Can I borrow an electric cycle for the weekend?', kind: 'paraphrase', expect: 'Bike hire', fact: '£35' },
      { q: 'Would you swap my old bicycle for credit?', kind: 'paraphrase', expect: 'Trade-in', fact: 'part payment' },
      { q: "Can I use my employer's salary sacrifice perk?", kind: 'paraphrase', expect: 'Cycle to work scheme', fact: 'vouchers' },
      { q: 'My back aches when cycling, can you set up my saddle?', kind: 'paraphrase', expect: 'Bike fitting', fact: '£120' },
      { q: 'Can I get my money back on a jacket I never wore?', kind: 'paraphrase', expect: 'Returns', fact: 'refund' },
      { q: 'How long is a tune-up?', kind: 'paraphrase', expect: 'Repairs', fact: 'two days' },
      { q: 'When do you shut on weekdays?', kind: 'paraphrase', expect: 'profile:hours', fact: '5:30pm' },
      { q: 'Whereabouts are you?', kind: 'paraphrase', expect: 'profile:location', fact: 'canal road' },
      { q: 'What is your email?', kind: 'paraphrase', expect: 'profile:contact', fact: 'workshop@spokeandchain.example' },
      { q: 'Do you sell second-hand cycles?', kind: 'paraphrase', expect: 'Trade-in', fact: 'used bikes' },
      { q: 'Can I take a pedal-assist cycle out?', kind: 'paraphrase', expect: 'Bike hire', fact: '£35' },
      { q: 'Can you fix my brakes?', kind: 'paraphrase', expect: 'profile:services', fact: 'repairs' },
      { q: 'When can I visit at the weekend?', kind: 'paraphrase', expect: 'profile:hours', fact: '10am to 2pm' },
      { q: 'How can I phone the shop?', kind: 'paraphrase', expect: 'profile:contact', fact: '1632' },
      { q: 'Do you sell skateboards?', kind: 'unanswerable' },
      { q: 'Can I hire a canoe?', kind: 'unanswerable' },
    ],
  },
];
